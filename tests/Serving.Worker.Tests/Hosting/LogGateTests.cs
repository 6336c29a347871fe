using Serving.Hosting.Logging;

namespace Serving.Worker.Tests.Hosting;

/// <summary>The shared once-per-period gate of repeated log lines (the worker's refused-records line, the drift monitor's refused-stream line).</summary>
public sealed class LogGateTests
{
    [Fact]
    public void FirstCallPasses_TheNextWithinThePeriodDoesNot()
    {
        var gate = new LogGate(TimeSpan.FromHours(1));

        Assert.True(gate.TryPass());
        Assert.False(gate.TryPass());
        Assert.False(gate.TryPass());
    }

    [Fact]
    public void ZeroPeriod_EveryCallPasses()
    {
        var gate = new LogGate(TimeSpan.Zero);

        Assert.True(gate.TryPass());
        Assert.True(gate.TryPass());
    }
}
