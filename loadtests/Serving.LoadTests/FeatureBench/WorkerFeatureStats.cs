namespace Serving.LoadTests.FeatureBench;

/// <summary>What the worker did for one model during an arm, from its <c>/metrics</c> before and after.</summary>
/// <param name="Batches">Batches executed (<c>serving_batch_executions_total</c>).</param>
/// <param name="MeanBatchSize">Rows per batch, on average.</param>
/// <param name="CacheHits">Near-cache hits.</param>
/// <param name="CacheMisses">Near-cache misses (every lookup when the cache is off).</param>
/// <param name="StoreCalls">Batches that called the store (the worker's own count).</param>
/// <param name="StoreErrors">Store calls that timed out or failed.</param>
/// <param name="DefaultedRows">Rows the worker filled with defaults (missing entity or store unavailable).</param>
/// <param name="BreakerRefusals">Lookups the open circuit breaker answered without calling Redis (their rows got defaults).</param>
/// <param name="MeanStoreCallMicros">Time of one store call as the worker measured it, on average; null without calls.</param>
internal sealed record WorkerFeatureStats(
    long Batches, double MeanBatchSize, long CacheHits, long CacheMisses, long StoreCalls, long StoreErrors, long DefaultedRows, double? MeanStoreCallMicros, long BreakerRefusals = 0)
{
    /// <summary>Hits over lookups; null without lookups.</summary>
    public double? CacheHitRatio => CacheHits + CacheMisses > 0 ? (double)CacheHits / (CacheHits + CacheMisses) : null;

    /// <summary>The difference between two scrapes for <paramref name="model"/>.</summary>
    public static WorkerFeatureStats Between(string before, string after, string model)
    {
        double Delta(string metric, params (string, string)[] extra)
        {
            (string, string)[] labels = [("model", model), .. extra];
            return PrometheusSeries.Sum(after, metric, labels) - PrometheusSeries.Sum(before, metric, labels);
        }

        var batches = Delta("serving_batch_executions_total");
        var rows = Delta("serving_batch_size_sum");
        var lookups = Delta("serving_feature_lookup_duration_seconds_count");
        return new WorkerFeatureStats(
            (long)batches,
            batches > 0 ? Math.Round(rows / batches, 2) : 0,
            (long)Delta("serving_feature_cache_requests_total", ("result", "hit")),
            (long)Delta("serving_feature_cache_requests_total", ("result", "miss")),
            (long)Delta("serving_feature_store_calls_total"),
            (long)(Delta("serving_feature_store_errors_total", ("kind", "timeout")) + Delta("serving_feature_store_errors_total", ("kind", "error"))),
            (long)Delta("serving_feature_defaulted_rows_total"),
            lookups > 0 ? Math.Round(Delta("serving_feature_lookup_duration_seconds_sum") * 1e6 / lookups, 1) : null,
            (long)Delta("serving_feature_store_errors_total", ("kind", "breaker_open")));
    }
}
