namespace Serving.LoadTests.Bench;

/// <summary>What the worker's batcher did during one cell, from its <c>/metrics</c> before and after.</summary>
/// <param name="Executions">Batches run (model runs).</param>
/// <param name="MeanBatchSize">Rows per batch, on average.</param>
/// <param name="MeanComputeMicros">Time per batch in the runner (copy in, ORT, slice out), on average.</param>
/// <param name="MeanQueueMicros">Time a request waited in the queue, on average.</param>
/// <param name="Rejected">Requests refused because the queue was full.</param>
internal sealed record BatchingStats(long Executions, double MeanBatchSize, double MeanComputeMicros, double MeanQueueMicros, long Rejected)
{
    /// <summary>The difference between two scrapes of the worker's metrics for <paramref name="model"/>.</summary>
    public static BatchingStats Between(string before, string after, string model)
    {
        double Delta(string metric) => PrometheusText.Sum(after, metric, model) - PrometheusText.Sum(before, metric, model);
        double Mean(string sum, string count) => Delta(count) is var n and > 0 ? Delta(sum) / n : 0;

        return new BatchingStats(
            (long)Delta("serving_batch_executions_total"),
            Math.Round(Mean("serving_batch_size_sum", "serving_batch_size_count"), 2),
            Math.Round(Mean("serving_batch_compute_duration_seconds_sum", "serving_batch_compute_duration_seconds_count") * 1e6, 1),
            Math.Round(Mean("serving_batch_queue_duration_seconds_sum", "serving_batch_queue_duration_seconds_count") * 1e6, 1),
            (long)Delta("serving_batch_rejected_total"));
    }
}
