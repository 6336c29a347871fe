using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>
/// Entities in the <c>packed</c> layout (<see cref="PackedFeatures"/>): a batch's keys go in one <c>MGET</c> per
/// chunk, and all chunks are written before any reply is awaited, so a batch costs one round trip. Redis answers
/// nil for a key that is absent or holds another type (a hash written for the <c>hash</c> layout).
/// </summary>
internal sealed class PackedRedisFeatureStore(RedisConnection connection, int maxKeysPerCall, IReadOnlyList<string> fields) : IFeatureStore
{
    private readonly PackedFeatures _packed = new(fields);

    public string Kind => "redis";

    /// <summary>Waits for the shared multiplexer's first connect (the connect timeout, at most <see cref="RedisConnection.MaxWarmUpWait"/>, for all versions; never throws).</summary>
    public void WarmUp() => connection.WaitForWarmUp();

    public async Task<double[]?[]> FetchAsync(string[] keys, string[] fields, CancellationToken cancellationToken)
    {
        if (fields.Length != _packed.Count)
        {
            throw new ArgumentException($"this store reads {_packed.Count} fields, not {fields.Length}", nameof(fields));
        }

        var database = await connection.DatabaseAsync().ConfigureAwait(false);
        var chunks = Array.ConvertAll(FeatureKeys.Chunks(keys, maxKeysPerCall), chunk => database.StringGetAsync(chunk));

        var result = new double[]?[keys.Length];
        var index = 0;
        foreach (var chunk in chunks)
        {
            foreach (var value in await chunk.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                result[index++] = value.IsNull ? null : _packed.Parse(((ReadOnlyMemory<byte>)value).Span);
            }
        }

        return result;
    }
}
