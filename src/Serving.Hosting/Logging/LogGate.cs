namespace Serving.Hosting.Logging;

/// <summary>
/// Lets a repeated log line through at most once per period, from any thread: the first call passes, then none until the
/// period has gone by. For lines a misconfiguration, or a stranger knocking, would repeat on every retry.
/// </summary>
public sealed class LogGate(TimeSpan period)
{
    private readonly long _periodMs = (long)period.TotalMilliseconds;

    // Environment.TickCount64 of the last line let through; one period back at first, so the first call passes (a start
    // of long.MinValue overflowed "now - last" to a negative number, and no line was ever let through).
    private long _lastAt = -(long)period.TotalMilliseconds;

    /// <summary>True when the caller may log now; the period starts again from this call.</summary>
    public bool TryPass()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastAt);
        return now - last >= _periodMs && Interlocked.CompareExchange(ref _lastAt, now, last) == last;
    }
}
