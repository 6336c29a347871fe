using Prometheus;

namespace Serving.Worker.Metrics;

/// <summary>The dynamic batcher's series, per model version (Triton's nv_inference_queue_duration_us / nv_inference_exec_count are the anchors).</summary>
internal sealed class BatchingMetrics
{
    private static readonly string[] Labels = ["model", "version"];

    private static readonly Gauge Depth = Prometheus.Metrics.CreateGauge(
        "serving_batch_queue_depth", "Requests waiting in the batcher's queue.", new GaugeConfiguration { LabelNames = Labels });

    private static readonly Histogram QueueDuration = Prometheus.Metrics.CreateHistogram(
        "serving_batch_queue_duration_seconds", "Time a request waited in the queue before its batch ran.",
        new HistogramConfiguration { LabelNames = Labels, Buckets = Histogram.ExponentialBuckets(0.00001, 2, 18) });

    private static readonly Histogram ComputeDuration = Prometheus.Metrics.CreateHistogram(
        "serving_batch_compute_duration_seconds", "ONNX Runtime time of one batch, including copy in and slice out.",
        new HistogramConfiguration { LabelNames = Labels, Buckets = Histogram.ExponentialBuckets(0.00001, 2, 18) });

    private static readonly Histogram Size = Prometheus.Metrics.CreateHistogram(
        "serving_batch_size", "Rows per executed batch.",
        new HistogramConfiguration { LabelNames = Labels, Buckets = Histogram.ExponentialBuckets(1, 2, 11) });

    private static readonly Counter Executions = Prometheus.Metrics.CreateCounter(
        "serving_batch_executions_total", "Batches executed (model runs).", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter Rejected = Prometheus.Metrics.CreateCounter(
        "serving_batch_rejected_total", "Requests refused because the queue was full.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter Expired = Prometheus.Metrics.CreateCounter(
        "serving_batch_expired_total", "Requests dropped from the queue because their deadline passed.", new CounterConfiguration { LabelNames = Labels });

    private static readonly Counter Cancelled = Prometheus.Metrics.CreateCounter(
        "serving_batch_cancelled_total", "Requests removed from the queue because the caller went away.", new CounterConfiguration { LabelNames = Labels });

    /// <summary>The series of one model version, resolved once.</summary>
    public sealed class Series(string model, string version)
    {
        public Gauge.Child Depth { get; } = BatchingMetrics.Depth.WithLabels(model, version);

        public Histogram.Child QueueDuration { get; } = BatchingMetrics.QueueDuration.WithLabels(model, version);

        public Histogram.Child ComputeDuration { get; } = BatchingMetrics.ComputeDuration.WithLabels(model, version);

        public Histogram.Child Size { get; } = BatchingMetrics.Size.WithLabels(model, version);

        public Counter.Child Executions { get; } = BatchingMetrics.Executions.WithLabels(model, version);

        public Counter.Child Rejected { get; } = BatchingMetrics.Rejected.WithLabels(model, version);

        public Counter.Child Expired { get; } = BatchingMetrics.Expired.WithLabels(model, version);

        public Counter.Child Cancelled { get; } = BatchingMetrics.Cancelled.WithLabels(model, version);
    }
}
