using System.Buffers;
using System.Text;

namespace Serving.Gateway.Traffic;

/// <summary>
/// Hashes a sticky key into one of <see cref="TrafficPolicy.Buckets"/> buckets: FNV-1a over the
/// UTF-8 bytes of model, a zero byte and key, then MurmurHash3's 64-bit finalizer so that keys
/// differing in one character spread evenly. Stable across processes and replicas (unlike
/// <see cref="string.GetHashCode()"/>), and salted with the model so that two models' experiments
/// don't put the same callers in the same arm.
/// </summary>
internal static class StickyBuckets
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;
    private const int StackLimit = 512;

    public static int Of(string model, ReadOnlySpan<char> key)
    {
        var hash = Add(OffsetBasis, model);
        hash = (hash ^ 0) * Prime;
        hash = Add(hash, key);
        return (int)((Mix(hash) >> 32) * TrafficPolicy.Buckets >> 32);
    }

    private static ulong Add(ulong hash, ReadOnlySpan<char> text)
    {
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var bytes = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var written = Encoding.UTF8.GetBytes(text, bytes);
        foreach (var b in bytes[..written])
        {
            hash = (hash ^ b) * Prime;
        }

        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return hash;
    }

    private static ulong Mix(ulong h)
    {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53UL;
        h ^= h >> 33;
        return h;
    }
}
