using System.Globalization;
using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>How an entity's features are stored in Redis (<c>features.layout</c>), and how one entity is written in each.</summary>
internal static class FeatureLayouts
{
    /// <summary>A Redis hash per entity, one field per feature (the default).</summary>
    public const string Hash = "hash";

    /// <summary>One Redis string per entity of <c>field=value</c> lines (<see cref="PackedFeatures"/>).</summary>
    public const string Packed = "packed";

    // HSET of the fields; a key of another type (a packed string written before a switch to the hash layout) is
    // deleted first, in the same script, so it is replaced at once and a hash keeps the fields other tools set.
    private const string HashSetScript = """
        local kind = redis.call('TYPE', KEYS[1]).ok
        if kind ~= 'hash' and kind ~= 'none' then redis.call('DEL', KEYS[1]) end
        return redis.call('HSET', KEYS[1], unpack(ARGV))
        """;

    /// <summary>
    /// Writes one entity in <paramref name="layout"/>: HSET of every field in round-trip format, or SET of its packed
    /// value (which replaces the whole entity). Either replaces a key that holds another type, so a switch of layout
    /// only needs the data loaded again. The caller awaits, so many writes can share one pipelined round trip.
    /// </summary>
    public static Task WriteAsync(IDatabase database, string layout, string key, IReadOnlyList<string> fields, IReadOnlyList<double> values)
    {
        if (layout == Packed)
        {
            return database.StringSetAsync(key, PackedFeatures.Format(fields, values));
        }

        var arguments = new RedisValue[fields.Count * 2];
        for (var i = 0; i < fields.Count; i++)
        {
            arguments[2 * i] = fields[i];
            arguments[(2 * i) + 1] = values[i].ToString("R", CultureInfo.InvariantCulture);
        }

        return database.ScriptEvaluateAsync(HashSetScript, [key], arguments);
    }
}
