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

    /// <summary>
    /// Writes one entity in <paramref name="layout"/>: HSET of every field in round-trip format, or SET of its packed
    /// value (which replaces the whole entity). The caller awaits, so many writes can share one pipelined round trip.
    /// </summary>
    public static Task WriteAsync(IDatabase database, string layout, string key, IReadOnlyList<string> fields, IReadOnlyList<double> values)
    {
        if (layout == Packed)
        {
            return database.StringSetAsync(key, PackedFeatures.Format(fields, values));
        }

        var entries = new HashEntry[fields.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new HashEntry(fields[i], values[i].ToString("R", CultureInfo.InvariantCulture));
        }

        return database.HashSetAsync(key, entries);
    }
}
