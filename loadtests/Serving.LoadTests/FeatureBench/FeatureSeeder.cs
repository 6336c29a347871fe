using System.Globalization;
using Serving.Worker.Features;
using StackExchange.Redis;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// Writes a <see cref="FeatureTable"/> into Redis as <c>serving features load</c> does: one hash per entity under
/// the model's key pattern, each field its value in round-trip format (or, for the packed layout, one string of
/// <c>field=value</c> lines), pipelined in batches.
/// </summary>
internal static class FeatureSeeder
{
    private const int BatchSize = 256;

    /// <summary>Writes every entity; returns how many.</summary>
    public static async Task<int> WriteAsync(IDatabase database, FeatureSpec spec, FeatureTable table, CancellationToken cancellationToken, string layout = "hash")
    {
        var pending = new List<Task>(BatchSize);
        foreach (var entity in table.Entities)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (layout == "packed")
            {
                pending.Add(database.StringSetAsync(spec.Key(entity.Id), PackedFeatures.Format(table.Fields, entity.Values)));
                await FlushWhenFullAsync(pending);
                continue;
            }

            var entries = new HashEntry[table.Fields.Count];
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = new HashEntry(table.Fields[i], entity.Values[i].ToString("R", CultureInfo.InvariantCulture));
            }

            pending.Add(database.HashSetAsync(spec.Key(entity.Id), entries));
            await FlushWhenFullAsync(pending);
        }

        await Task.WhenAll(pending);
        return table.Entities.Count;
    }

    private static async Task FlushWhenFullAsync(List<Task> pending)
    {
        if (pending.Count == BatchSize)
        {
            await Task.WhenAll(pending);
            pending.Clear();
        }
    }
}
