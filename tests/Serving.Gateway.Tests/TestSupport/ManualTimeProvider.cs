namespace Serving.Gateway.Tests.TestSupport;

/// <summary>A clock that moves only when told: window rotation without sleeps.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly DateTimeOffset _start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _elapsedTicks;

    public override DateTimeOffset GetUtcNow() => _start.AddTicks(_elapsedTicks);

    public override long GetTimestamp() => _elapsedTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by) => _elapsedTicks += by.Ticks;
}
