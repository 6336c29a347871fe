using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>Entity id → store key.</summary>
internal static class FeatureKeys
{
    /// <summary>The longest entity id a request may send, in UTF-8 bytes; a loaded row with a longer id could never be read.</summary>
    public const int MaxIdBytes = 256;

    public static string Format(string keyPattern, string id) => keyPattern.Replace("{id}", id, StringComparison.Ordinal);

    /// <summary>
    /// <paramref name="keys"/> as Redis keys, in order, in chunks of at most <paramref name="maxKeysPerCall"/>: one
    /// Redis call each, all written before any reply is awaited, so a batch stays one round trip.
    /// </summary>
    public static RedisKey[][] Chunks(string[] keys, int maxKeysPerCall)
    {
        var chunks = new RedisKey[(keys.Length + maxKeysPerCall - 1) / maxKeysPerCall][];
        for (var c = 0; c < chunks.Length; c++)
        {
            var start = c * maxKeysPerCall;
            var chunk = new RedisKey[Math.Min(maxKeysPerCall, keys.Length - start)];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = keys[start + i];
            }

            chunks[c] = chunk;
        }

        return chunks;
    }
}
