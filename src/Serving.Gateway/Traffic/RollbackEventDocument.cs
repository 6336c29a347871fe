namespace Serving.Gateway.Traffic;

/// <summary>The <c>last_rollback</c> part of a policy document: written by the gateway, ignored in a PUT.</summary>
internal sealed class RollbackEventDocument
{
    public DateTimeOffset At { get; set; }

    public string? Version { get; set; }

    public string? Baseline { get; set; }

    public long Requests { get; set; }

    public long Errors { get; set; }

    public double ErrorRate { get; set; }

    /// <summary>Requests slower than <c>max_p99_ms</c> (0 when latency is not watched).</summary>
    public long Slow { get; set; }

    public string? Reason { get; set; }

    public static RollbackEventDocument From(RollbackEvent e) => new()
    {
        At = e.At,
        Version = e.Version,
        Baseline = e.Baseline,
        Requests = e.Requests,
        Errors = e.Errors,
        ErrorRate = e.ErrorRate,
        Slow = e.Slow,
        Reason = e.Reason,
    };

    public RollbackEvent? ToEvent() => Version is null || Baseline is null
        ? null
        : new RollbackEvent(At, Version, Baseline, Requests, Errors, ErrorRate, Slow, Reason ?? "");
}
