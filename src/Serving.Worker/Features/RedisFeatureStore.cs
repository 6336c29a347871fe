using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>
/// Entity hashes in Redis. A batch's keys go in as few server calls as the chunk size allows (one
/// Lua script doing HMGET per key), and all chunks are written before any reply is awaited, so a
/// batch costs one round trip.
/// </summary>
/// <remarks>
/// The script answers one string per entity (its values joined by newlines) rather than one per value: reading
/// a reply costs the client per element, and thirty elements per entity made the reply's parsing the larger
/// part of a lookup's CPU.
/// </remarks>
internal sealed class RedisFeatureStore(RedisConnection connection, int maxKeysPerCall) : IFeatureStore
{
    // Per key: nil when the hash has none of the fields, else the values joined by '\n', a missing field as ''.
    // A newline inside a value becomes a space, which keeps the values in place and parses as the value did.
    // A key that holds another type (WRONGTYPE) is nil too, an entity not in the store: with redis.call its error
    // failed the whole script, and the lookup of every entity in the batch was taken for a store outage.
    private const string Script = """
        local out = {}
        for i = 1, #KEYS do
          local values = redis.pcall('HMGET', KEYS[i], unpack(ARGV))
          if values.err then values = {} end
          local any = false
          for j = 1, #values do
            local v = values[j]
            if v then
              any = true
              if string.find(v, '\n', 1, true) then
                values[j] = (string.gsub(v, '\n', ' '))
              end
            else
              values[j] = ''
            end
          end
          out[i] = any and table.concat(values, '\n') or false
        end
        return out
        """;

    private int _warmedUp;

    public string Kind => "redis";

    /// <summary>
    /// Waits for the shared multiplexer's first connect (the connect timeout, at most <see cref="RedisConnection.MaxWarmUpWait"/>, for all versions)
    /// and runs the script once with no keys, so Redis has compiled and cached it.
    /// </summary>
    public void WarmUp()
    {
        if (Interlocked.Exchange(ref _warmedUp, 1) != 0)
        {
            return;
        }

        try
        {
            if (connection.WaitForWarmUp() is { IsConnected: true } multiplexer)
            {
                multiplexer.GetDatabase().ScriptEvaluate(Script, [], []); // bounded by the multiplexer's sync timeout
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Down or slow at start: the first lookups time out, the breaker opens, and the outage policy answers.
        }
    }

    public async Task<double[]?[]> FetchAsync(string[] keys, string[] fields, CancellationToken cancellationToken)
    {
        var database = await connection.DatabaseAsync().ConfigureAwait(false);
        var fieldValues = fields.Select(f => (RedisValue)f).ToArray();
        var chunks = Array.ConvertAll(FeatureKeys.Chunks(keys, maxKeysPerCall), chunk => database.ScriptEvaluateAsync(Script, chunk, fieldValues));

        var result = new double[]?[keys.Length];
        var index = 0;
        foreach (var chunk in chunks)
        {
            foreach (var entity in (RedisResult[])(await chunk.WaitAsync(cancellationToken).ConfigureAwait(false))!)
            {
                result[index++] = entity.IsNull ? null : Parse((byte[])entity!, fields.Length);
            }
        }

        return result;
    }

    /// <summary>An entity's values: NaN for a missing field or one that is not a number (read as <c>double.TryParse</c> reads text).</summary>
    internal static double[] Parse(ReadOnlySpan<byte> joined, int count)
    {
        var parsed = new double[count];
        for (var i = 0; i < count; i++)
        {
            var end = joined.IndexOf((byte)'\n');
            if ((end < 0) != (i == count - 1))
            {
                throw new InvalidDataException($"the feature script answered {(end < 0 ? i + 1 : "more than " + count)} value(s) for an entity, expected {count}");
            }

            parsed[i] = FeatureValueText.Parse(end < 0 ? joined : joined[..end]);
            joined = end < 0 ? default : joined[(end + 1)..];
        }

        return parsed;
    }
}
