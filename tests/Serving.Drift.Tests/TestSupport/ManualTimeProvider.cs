namespace Serving.Drift.Tests.TestSupport;

/// <summary>A clock that moves only when told, for age-eviction tests.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly DateTimeOffset _start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _elapsedTicks;

    public override DateTimeOffset GetUtcNow() => _start.AddTicks(_elapsedTicks);

    // Both clocks must move together: the window measures age with timestamps.
    public override long GetTimestamp() => _elapsedTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by) => _elapsedTicks += by.Ticks;
}
