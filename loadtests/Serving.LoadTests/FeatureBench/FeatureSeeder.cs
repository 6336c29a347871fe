using Serving.Worker.Features;
using StackExchange.Redis;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// Writes a <see cref="FeatureTable"/> into Redis as <c>serving features load</c> does (the same
/// <see cref="FeatureLayouts.WriteAsync"/> per entity, under the model's key pattern), pipelined in batches.
/// </summary>
internal static class FeatureSeeder
{
    private const int BatchSize = 256;

    /// <summary>Writes every entity; returns how many.</summary>
    public static async Task<int> WriteAsync(IDatabase database, FeatureSpec spec, FeatureTable table, CancellationToken cancellationToken, string layout = FeatureLayouts.Hash)
    {
        var pending = new List<Task>(BatchSize);
        foreach (var entity in table.Entities)
        {
            cancellationToken.ThrowIfCancellationRequested();
            pending.Add(FeatureLayouts.WriteAsync(database, layout, spec.Key(entity.Id), table.Fields, entity.Values));
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
