namespace Serving.LoadTests.DriftBench;

/// <summary>What the worker's prediction-log path did during one cell, from its <c>/metrics</c> before and after.</summary>
/// <param name="Enqueued">Records put on the worker's queue.</param>
/// <param name="Dropped">Records not queued (queue full: the sidecar fell behind).</param>
/// <param name="Sent">Records written to the ingest stream.</param>
/// <param name="Acked">Records the sidecar acknowledged (archived).</param>
/// <param name="Rejected">Records the sidecar refused.</param>
internal sealed record LoggingStats(long Enqueued, long Dropped, long Sent, long Acked, long Rejected)
{
    /// <summary>The difference between two scrapes.</summary>
    public static LoggingStats Between(string before, string after)
    {
        long Delta(string metric) => (long)(PrometheusCounters.Sum(after, metric) - PrometheusCounters.Sum(before, metric));
        return new LoggingStats(
            Delta("serving_prediction_logs_enqueued_total"),
            Delta("serving_prediction_logs_dropped_total"),
            Delta("serving_prediction_logs_sent_total"),
            Delta("serving_prediction_logs_acked_total"),
            Delta("serving_prediction_logs_rejected_total"));
    }
}
