namespace Serving.Worker.PredictionLogs;

/// <summary>Exponential backoff with jitter between reconnect attempts; reset once the monitor acknowledges.</summary>
/// <param name="min">The first step.</param>
/// <param name="max">The largest step, and the longest wait.</param>
/// <param name="random">Source of the jitter; <see cref="Random.Shared"/> unless a test seeds one (used by <see cref="Next"/> only, which one loop calls).</param>
internal sealed class ReconnectBackoff(TimeSpan min, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;
    private long _nextTicks = min.Ticks;

    /// <summary>
    /// The wait before the next attempt (the current step ±20 %, kept within the minimum and the
    /// maximum), and doubles the step up to the maximum.
    /// </summary>
    public TimeSpan Next()
    {
        var current = Interlocked.Read(ref _nextTicks);
        Interlocked.Exchange(ref _nextTicks, Math.Min(max.Ticks, current * 2));
        var jitter = 0.8 + (0.4 * _random.NextDouble());
        return TimeSpan.FromTicks(Math.Clamp((long)(current * jitter), min.Ticks, max.Ticks));
    }

    /// <summary>The next waits are the longest: retrying sooner can't help (the monitor refused the worker's token).</summary>
    public void ToMax() => Interlocked.Exchange(ref _nextTicks, max.Ticks);

    /// <summary>Back to the shortest wait.</summary>
    public void Reset() => Interlocked.Exchange(ref _nextTicks, min.Ticks);
}
