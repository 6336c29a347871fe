using Prometheus;

namespace Serving.Worker.Metrics;

/// <summary>The feature lookup's series, per model version.</summary>
internal static class FeatureMetrics
{
    private static readonly Histogram Lookup = Prometheus.Metrics.CreateHistogram(
        "serving_feature_lookup_duration_seconds", "Time of one store call for a batch's missing entities.",
        new HistogramConfiguration { LabelNames = ["model", "version", "store"], Buckets = Histogram.ExponentialBuckets(0.00005, 2, 16) });

    private static readonly Counter Cache = Prometheus.Metrics.CreateCounter(
        "serving_feature_cache_requests_total", "Near-cache lookups by result (hit or miss).", new CounterConfiguration { LabelNames = ["model", "version", "result"] });

    private static readonly Counter Missing = Prometheus.Metrics.CreateCounter(
        "serving_feature_missing_entities_total", "Entity ids the store does not have.", new CounterConfiguration { LabelNames = ["model", "version"] });

    private static readonly Counter Defaulted = Prometheus.Metrics.CreateCounter(
        "serving_feature_defaulted_rows_total", "Rows filled with one or more defaults, by reason (missing or unavailable).",
        new CounterConfiguration { LabelNames = ["model", "version", "reason"] });

    private static readonly Counter Errors = Prometheus.Metrics.CreateCounter(
        "serving_feature_store_errors_total", "Store calls that failed, by kind (timeout, error, breaker_open).",
        new CounterConfiguration { LabelNames = ["model", "version", "store", "kind"] });

    private static readonly Counter Calls = Prometheus.Metrics.CreateCounter(
        "serving_feature_store_calls_total", "Store calls (one per batch that needed the store).", new CounterConfiguration { LabelNames = ["model", "version", "store"] });

    public static readonly Gauge BreakerState = Prometheus.Metrics.CreateGauge(
        "serving_feature_breaker_state", "The feature store's circuit breaker: 0 closed, 1 open, 2 half-open.", new GaugeConfiguration { LabelNames = ["store"] });

    /// <summary>The series of one model version (each version has its own lookup and near cache), resolved once.</summary>
    public sealed class Series(string model, string version, string store)
    {
        public Histogram.Child Lookup { get; } = FeatureMetrics.Lookup.WithLabels(model, version, store);

        public Counter.Child CacheHits { get; } = Cache.WithLabels(model, version, "hit");

        public Counter.Child CacheMisses { get; } = Cache.WithLabels(model, version, "miss");

        public Counter.Child Missing { get; } = FeatureMetrics.Missing.WithLabels(model, version);

        public Counter.Child DefaultedMissing { get; } = Defaulted.WithLabels(model, version, "missing");

        public Counter.Child DefaultedUnavailable { get; } = Defaulted.WithLabels(model, version, "unavailable");

        public Counter.Child Timeouts { get; } = Errors.WithLabels(model, version, store, "timeout");

        public Counter.Child Failures { get; } = Errors.WithLabels(model, version, store, "error");

        public Counter.Child BreakerOpen { get; } = Errors.WithLabels(model, version, store, "breaker_open");

        public Counter.Child Calls { get; } = FeatureMetrics.Calls.WithLabels(model, version, store);
    }
}
