namespace Serving.Worker.PredictionLogs;

/// <summary>Exponential backoff with jitter between reconnect attempts; reset once the monitor acknowledges.</summary>
internal sealed class ReconnectBackoff(TimeSpan min, TimeSpan max)
{
    private long _nextTicks = min.Ticks;

    /// <summary>The wait before the next attempt (the current step ±20 %), and doubles the step up to the maximum.</summary>
    public TimeSpan Next()
    {
        var current = Interlocked.Read(ref _nextTicks);
        Interlocked.Exchange(ref _nextTicks, Math.Min(max.Ticks, current * 2));
        var jitter = 0.8 + (0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromTicks(Math.Clamp((long)(current * jitter), min.Ticks, max.Ticks));
    }

    /// <summary>Back to the shortest wait.</summary>
    public void Reset() => Interlocked.Exchange(ref _nextTicks, min.Ticks);
}
