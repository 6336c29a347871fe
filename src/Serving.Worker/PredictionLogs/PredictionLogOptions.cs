namespace Serving.Worker.PredictionLogs;

/// <summary>Where and how the worker ships prediction logs to the drift monitor (section <c>Serving:Worker:PredictionLogs</c>).</summary>
public sealed class PredictionLogOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Serving:Worker:PredictionLogs";

    /// <summary>The drift monitor's gRPC address, e.g. <c>http://127.0.0.1:8090</c>; empty turns prediction logs off.</summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// The drift monitor's <c>Serving:Drift:IngestToken</c>, sent as <c>authorization: Bearer &lt;token&gt;</c> on the stream;
    /// unset (the default), none is sent. A monitor that refuses it (UNAUTHENTICATED) is logged as an error naming this
    /// key, and retried every <see cref="ReconnectBackoffMax"/> with the records held.
    /// </summary>
    public string? IngestToken { get; set; }

    /// <summary>Share of predicted rows that are logged, 0..1. Default 1 (every row).</summary>
    public double SampleRate { get; set; } = 1.0;

    /// <summary>Records the queue holds; past it new records are dropped and counted. Default 65536.</summary>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>
    /// Bytes the queued records may hold (their size on the wire); past it new records are dropped and counted,
    /// as past <see cref="QueueCapacity"/>. Bounds the queue's memory for wide models (a 20,000-value row is ~160 KB).
    /// Default 256 MiB.
    /// </summary>
    public long QueueCapacityBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Most records per batch sent on the stream. Default 2048: at tens of thousands of predictions a second the
    /// drift monitor spends about a fifth less CPU per record than with batches of 512 (fewer fsyncs and acks); below
    /// that the batch goes at <see cref="FlushInterval"/> anyway.
    /// </summary>
    public int BatchSize { get; set; } = 2048;

    /// <summary>
    /// Largest batch message, in bytes; a batch stops growing before it would pass this (a single larger record is
    /// sent alone). Keep it under the drift monitor's <c>Serving:Drift:MaxBatchBytes</c> (16 MiB by default). Default 4 MiB.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Longest a record waits for its batch to fill before the batch is sent anyway. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Batches sent but not yet acknowledged before the sender waits for acks. Default 16.</summary>
    public int MaxUnackedBatches { get; set; } = 16;

    /// <summary>
    /// How long the sender waits for an ack while the unacked window is full, or for a batch's write to be taken (a monitor
    /// that stops reading holds it on flow control), before it reopens the stream. Default 30 s.
    /// </summary>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before reconnecting after the stream broke; doubles per failed attempt. Default 100 ms.</summary>
    public TimeSpan ReconnectBackoffMin { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between reconnect attempts. Default 10 s.</summary>
    public TimeSpan ReconnectBackoffMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>On shutdown, how long queued and unacknowledged records may take to reach the monitor. Default 5 s.</summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    internal bool IsEnabled => !string.IsNullOrWhiteSpace(Endpoint);
}
