using System.Globalization;
using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>
/// Entity hashes in Redis. A batch's keys go in as few server calls as the chunk size allows (one
/// Lua script doing HMGET per key), and all chunks are written before any reply is awaited, so a
/// batch costs one round trip.
/// </summary>
internal sealed class RedisFeatureStore(RedisConnection connection, int maxKeysPerCall) : IFeatureStore
{
    private const string Script = """
        local out = {}
        for i = 1, #KEYS do
          out[i] = redis.call('HMGET', KEYS[i], unpack(ARGV))
        end
        return out
        """;

    private int _warmedUp;

    public string Kind => "redis";

    /// <summary>Connects the shared multiplexer and runs the script once with no keys, so Redis has compiled and cached it.</summary>
    public void WarmUp()
    {
        if (Interlocked.Exchange(ref _warmedUp, 1) != 0)
        {
            return;
        }

        try
        {
            var database = connection.Database; // connects: bounded by the connect timeout, and never throws when Redis is down
            if (connection.Multiplexer.IsConnected)
            {
                database.ScriptEvaluate(Script, [], []); // bounded by the multiplexer's sync timeout
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Down or slow at start: the first lookups time out, the breaker opens, and the outage policy answers.
        }
    }

    public async Task<double[]?[]> FetchAsync(string[] keys, string[] fields, CancellationToken cancellationToken)
    {
        var database = connection.Database;
        var fieldValues = fields.Select(f => (RedisValue)f).ToArray();
        var chunks = new List<Task<RedisResult>>((keys.Length / maxKeysPerCall) + 1);
        for (var start = 0; start < keys.Length; start += maxKeysPerCall)
        {
            var chunk = keys.AsSpan(start, Math.Min(maxKeysPerCall, keys.Length - start)).ToArray().Select(k => (RedisKey)k).ToArray();
            chunks.Add(database.ScriptEvaluateAsync(Script, chunk, fieldValues));
        }

        var result = new double[]?[keys.Length];
        var index = 0;
        foreach (var chunk in chunks)
        {
            foreach (var entity in (RedisResult[])(await chunk.WaitAsync(cancellationToken).ConfigureAwait(false))!)
            {
                result[index++] = Parse((RedisResult[])entity!);
            }
        }

        return result;
    }

    private static double[]? Parse(RedisResult[] values)
    {
        var parsed = new double[values.Length];
        var any = false;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i].IsNull)
            {
                parsed[i] = double.NaN;
                continue;
            }

            any = true;
            parsed[i] = double.TryParse((string?)values[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
        }

        // A hash with none of the fields is an entity the store doesn't have.
        return any ? parsed : null;
    }
}
