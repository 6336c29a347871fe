using System.Buffers;
using Serving.Hosting.Http;

namespace Serving.Worker.Endpoints;

/// <summary>
/// A rented byte array returned to the pool on dispose, with the share of the <see cref="RequestMemoryBudget"/> its
/// request took, given back then too.
/// </summary>
internal sealed class PooledBuffer(byte[] array, int length, RequestMemoryBudget? budget = null, long share = 0) : IDisposable
{
    private byte[]? _array = array;

    public ReadOnlyMemory<byte> Memory => _array is { } a ? a.AsMemory(0, length) : throw new ObjectDisposedException(nameof(PooledBuffer));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } a)
        {
            ArrayPool<byte>.Shared.Return(a);
            budget?.Give(share);
        }
    }
}
