using Prometheus;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// Where every logged row went, as this worker's own counts and as process-wide Prometheus series
/// (<c>serving_prediction_logs_*</c>). A row is sampled out, dropped, or enqueued; an enqueued
/// record is eventually acked, rejected, lost or unsent, and until then it is pending.
/// </summary>
internal sealed class PredictionLogStats
{
    private static readonly Counter EnqueuedTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_enqueued_total", "Prediction log records put on the queue.");

    private static readonly Counter SampledOutTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_sampled_out_total", "Predicted rows not logged because of the sample rate.");

    private static readonly Counter DroppedTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_dropped_total", "Records not queued: queue_full, stopped (after shutdown) or error (could not be converted).",
        new CounterConfiguration { LabelNames = ["reason"] });

    private static readonly Counter SentTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_sent_total", "Records written to the stream (a re-sent record counts again).");

    private static readonly Counter ResentTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_resent_total", "Records re-sent on a new stream because the previous stream broke before their ack.");

    private static readonly Counter AckedTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_acked_total", "Records the drift monitor acknowledged as archived.");

    private static readonly Counter RejectedTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_rejected_total", "Records the drift monitor refused (see its log for the reason).");

    private static readonly Counter LostTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_lost_total", "Records sent on two streams that both broke before the ack.");

    private static readonly Counter UnsentTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_unsent_total", "Records still queued or unacknowledged when the shutdown flush timed out.");

    private static readonly Counter ReconnectsTotal = Prometheus.Metrics.CreateCounter(
        "serving_prediction_logs_reconnects_total", "Times the log stream broke (or could not be opened) and was reopened.");

    private static readonly Gauge Connected = Prometheus.Metrics.CreateGauge(
        "serving_prediction_logs_stream_connected", "1 while the log stream to the drift monitor is open and acknowledging.");

    private static readonly Gauge UnackedBatchesGauge = Prometheus.Metrics.CreateGauge(
        "serving_prediction_logs_unacked_batches", "Batches sent and not yet acknowledged.");

    private static readonly Gauge QueueDepthGauge = Prometheus.Metrics.CreateGauge(
        "serving_prediction_logs_queue_depth", "Records waiting in the queue.");

    private static readonly Counter.Child DroppedQueueFull = DroppedTotal.WithLabels("queue_full");
    private static readonly Counter.Child DroppedStopped = DroppedTotal.WithLabels("stopped");
    private static readonly Counter.Child DroppedError = DroppedTotal.WithLabels("error");

    private long _enqueued;
    private long _sampledOut;
    private long _droppedQueueFull;
    private long _droppedStopped;
    private long _droppedError;
    private long _sent;
    private long _resent;
    private long _acked;
    private long _rejected;
    private long _lost;
    private long _unsent;
    private long _reconnects;
    private int _connected;

    public long Enqueued => Interlocked.Read(ref _enqueued);

    public long SampledOut => Interlocked.Read(ref _sampledOut);

    public long DroppedQueueFullCount => Interlocked.Read(ref _droppedQueueFull);

    public long DroppedStoppedCount => Interlocked.Read(ref _droppedStopped);

    public long DroppedErrorCount => Interlocked.Read(ref _droppedError);

    public long Dropped => DroppedQueueFullCount + DroppedStoppedCount + DroppedErrorCount;

    public long Sent => Interlocked.Read(ref _sent);

    public long Resent => Interlocked.Read(ref _resent);

    public long Acked => Interlocked.Read(ref _acked);

    public long Rejected => Interlocked.Read(ref _rejected);

    public long Lost => Interlocked.Read(ref _lost);

    public long Unsent => Interlocked.Read(ref _unsent);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    public bool IsConnected => Volatile.Read(ref _connected) == 1;

    public void OnEnqueued(long records)
    {
        Interlocked.Add(ref _enqueued, records);
        EnqueuedTotal.Inc(records);
    }

    public void OnSampledOut(long rows)
    {
        Interlocked.Add(ref _sampledOut, rows);
        SampledOutTotal.Inc(rows);
    }

    public void OnQueueFull()
    {
        Interlocked.Increment(ref _droppedQueueFull);
        DroppedQueueFull.Inc();
    }

    public void OnStopped(long records)
    {
        Interlocked.Add(ref _droppedStopped, records);
        DroppedStopped.Inc(records);
    }

    public void OnError(long records)
    {
        Interlocked.Add(ref _droppedError, records);
        DroppedError.Inc(records);
    }

    public void OnSent(int records, bool resend)
    {
        Interlocked.Add(ref _sent, records);
        SentTotal.Inc(records);
        if (resend)
        {
            Interlocked.Add(ref _resent, records);
            ResentTotal.Inc(records);
        }
    }

    public void OnAcked(long accepted, long rejected)
    {
        Interlocked.Add(ref _acked, accepted);
        Interlocked.Add(ref _rejected, rejected);
        AckedTotal.Inc(accepted);
        RejectedTotal.Inc(rejected);
    }

    public void OnLost(long records)
    {
        Interlocked.Add(ref _lost, records);
        LostTotal.Inc(records);
    }

    public void OnUnsent(long records)
    {
        Interlocked.Add(ref _unsent, records);
        UnsentTotal.Inc(records);
    }

    public void OnReconnect()
    {
        Interlocked.Increment(ref _reconnects);
        ReconnectsTotal.Inc();
    }

    public void SetConnected(bool connected)
    {
        if (Interlocked.Exchange(ref _connected, connected ? 1 : 0) != (connected ? 1 : 0))
        {
            Connected.Inc(connected ? 1 : -1);
        }
    }

    public static void AddUnackedBatches(int delta) => UnackedBatchesGauge.Inc(delta);

    public static void AddQueueDepth(long delta) => QueueDepthGauge.Inc(delta);
}
