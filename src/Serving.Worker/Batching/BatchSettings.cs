using System.Diagnostics;
using Serving.Worker.Models;

namespace Serving.Worker.Batching;

/// <summary>
/// A version's resolved batching settings (durations in <see cref="Stopwatch"/> ticks). <see cref="ArrivalGapTicks"/>
/// (0 = off) ends a partial batch's wait once no request has arrived for that long.
/// </summary>
internal sealed record BatchSettings(
    int MaxBatchSize, long MaxQueueDelayTicks, int[] PreferredBatchSizes, int MaxQueueSize, int Instances, long DefaultTimeoutTicks, long ArrivalGapTicks = 0)
{
    /// <summary>Null when the version is served unbatched (no batch dimension, or batching off).</summary>
    public static BatchSettings? From(ModelConfig config, bool batchingEnabled)
    {
        var b = config.DynamicBatching ?? new DynamicBatchingConfig();
        if (config.MaxBatchSize <= 0 || !b.Enabled || !batchingEnabled)
        {
            return null;
        }

        return new BatchSettings(
            config.MaxBatchSize,
            b.MaxQueueDelayUs * Stopwatch.Frequency / 1_000_000,
            (b.PreferredBatchSizes ?? []).Distinct().OrderDescending().ToArray(),
            b.MaxQueueSize,
            b.Instances,
            b.DefaultTimeoutMs * Stopwatch.Frequency / 1000,
            b.ArrivalGapUs * Stopwatch.Frequency / 1_000_000); // validated: only with a delay
    }
}
