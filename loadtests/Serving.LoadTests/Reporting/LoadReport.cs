using Serving.LoadTests.Generator;

namespace Serving.LoadTests.Reporting;

/// <summary>The result of one run: serializable to JSON and printable as Markdown; a bench compares several.</summary>
internal sealed record LoadReport
{
    /// <summary>When the run started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>The server root.</summary>
    public required string Target { get; init; }

    /// <summary><c>grpc</c>, <c>rest-json</c> or <c>rest-binary</c>.</summary>
    public required string Protocol { get; init; }

    /// <summary>gRPC: <c>grpc-net</c> or <c>raw-h2</c>.</summary>
    public string? GrpcClient { get; init; }

    /// <summary>The model.</summary>
    public required string Model { get; init; }

    /// <summary>The version asked for; empty when the server picked.</summary>
    public required string ModelVersion { get; init; }

    /// <summary><c>closed</c> or <c>open</c>.</summary>
    public required string Mode { get; init; }

    /// <summary>Closed model: callers.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Open model: arrivals per second at the start of the window.</summary>
    public double? Rate { get; init; }

    /// <summary>Open model: arrivals per second at the end of the window, when ramping.</summary>
    public double? RampTo { get; init; }

    /// <summary>Open model: the cap on outstanding requests.</summary>
    public int? MaxInFlight { get; init; }

    /// <summary>Open model: the scheduler's wake interval (what fell due meanwhile went out together).</summary>
    public long? WakeIntervalMicros { get; init; }

    /// <summary>gRPC: channels (each with its own HTTP/2 connections).</summary>
    public int? Connections { get; init; }

    /// <summary>The configured warmup.</summary>
    public required double WarmupSeconds { get; init; }

    /// <summary>The configured measured window.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>The request-count bound, if any.</summary>
    public long? MaxRequests { get; init; }

    /// <summary>The measured window as it happened: from the end of the warmup until the last call ended.</summary>
    public required double MeasuredSeconds { get; init; }

    /// <summary>Rows (first dimension of the first input) per request.</summary>
    public required long RowsPerRequest { get; init; }

    /// <summary>The bytes of one request message or body.</summary>
    public required int RequestBytes { get; init; }

    /// <summary>Open model: requests that came due in the window (sent or not).</summary>
    public long? Offered { get; init; }

    /// <summary>Successful calls in the window.</summary>
    public required long Succeeded { get; init; }

    /// <summary>Failed calls in the window, client-saturated ones included.</summary>
    public required long Failed { get; init; }

    /// <summary>Successful calls per second.</summary>
    public required double RequestsPerSecond { get; init; }

    /// <summary>Successful rows per second.</summary>
    public required double RowsPerSecond { get; init; }

    /// <summary>Latency of successful calls; in the open model measured from the intended send time.</summary>
    public required LatencySummary Latency { get; init; }

    /// <summary>Open model: latency from the actual send time.</summary>
    public LatencySummary? ServiceTime { get; init; }

    /// <summary>Failures by kind and status.</summary>
    public required IReadOnlyList<OutcomeCount> Errors { get; init; }

    /// <summary>
    /// Bytes the whole process allocated per completed call (warmup included): the client libraries' cost when
    /// the target is another process, plus the server's when a baseline runs in-process.
    /// </summary>
    public long AllocatedBytesPerCall { get; init; }

    /// <summary>Average cores this process used over the run (warmup included): the generator, plus the server when it runs in-process.</summary>
    public double ProcessCpuCores { get; init; }

    /// <summary>Average cores the rest of the machine used over the run (other processes); null when unknown.</summary>
    public double? OtherCpuCores { get; init; }

    /// <summary>This process's CPU time per completed call (warmup included), in microseconds.</summary>
    public double ProcessCpuMicrosPerCall { get; init; }

    /// <summary>
    /// This process's garbage collections over the run (warmup included) and the share of it the GC held the process
    /// paused; null in reports saved before it was recorded.
    /// </summary>
    public GcUsage? Gc { get; init; }

    /// <summary>
    /// Set when the run was stopped before its end (Ctrl+C or SIGTERM, a bench's time bound): when, and what the figures
    /// cover. The figures are real, for the part that ran.
    /// </summary>
    public string? StoppedEarly { get; init; }

    /// <summary>The first unexpected client-side exception, if any.</summary>
    public string? FirstClientError { get; init; }

    /// <summary>The latency distribution, for plots and comparisons.</summary>
    public required IReadOnlyList<PercentilePoint> LatencyDistribution { get; init; }

    /// <summary>Per-second throughput and latency in the window.</summary>
    public required IReadOnlyList<TimelinePoint> Timeline { get; init; }

    /// <summary>The report as Markdown.</summary>
    public string ToMarkdown() => LoadReportMarkdown.Render(this);
}
