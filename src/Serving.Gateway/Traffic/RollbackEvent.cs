namespace Serving.Gateway.Traffic;

/// <summary>
/// An automatic rollback: at <paramref name="At"/>, <paramref name="Version"/>'s weight went to
/// <paramref name="Baseline"/> because of what its last window held (<paramref name="Requests"/>
/// outcomes, <paramref name="Errors"/> failed, <paramref name="Slow"/> over the latency limit).
/// </summary>
internal sealed record RollbackEvent(
    DateTimeOffset At, string Version, string Baseline, long Requests, long Errors, double ErrorRate, long Slow, string Reason);
