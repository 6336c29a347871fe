using System.Globalization;
using StackExchange.Redis;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// Writes a <see cref="FeatureTable"/> into Redis as <c>serving features load</c> does: one hash per entity under
/// the model's key pattern, each field its value in round-trip format, pipelined in batches.
/// </summary>
internal static class FeatureSeeder
{
    private const int BatchSize = 256;

    /// <summary>Writes every entity; returns how many.</summary>
    public static async Task<int> WriteAsync(IDatabase database, FeatureSpec spec, FeatureTable table, CancellationToken cancellationToken)
    {
        var pending = new List<Task>(BatchSize);
        foreach (var entity in table.Entities)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entries = new HashEntry[table.Fields.Count];
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = new HashEntry(table.Fields[i], entity.Values[i].ToString("R", CultureInfo.InvariantCulture));
            }

            pending.Add(database.HashSetAsync(spec.Key(entity.Id), entries));
            if (pending.Count == BatchSize)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        return table.Entities.Count;
    }
}
