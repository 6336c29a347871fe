using System.Diagnostics;
using Serving.Worker.Models;

namespace Serving.Worker.Batching;

/// <summary>A version's resolved batching settings (durations in <see cref="Stopwatch"/> ticks).</summary>
internal sealed record BatchSettings(int MaxBatchSize, long MaxQueueDelayTicks, int[] PreferredBatchSizes, int MaxQueueSize, int Instances, long DefaultTimeoutTicks)
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
            b.DefaultTimeoutMs * Stopwatch.Frequency / 1000);
    }
}
