using Serving.Hosting.Health;

namespace Serving.Worker.Tests.Hosting;

/// <summary>The drain's wait for long-lived calls (ModelStreamInfer streams): it ends when the last one says it has.</summary>
public sealed class ReadinessStateTests
{
    [Fact]
    public async Task NoLongCalls_TheWaitIsOverAtOnce()
    {
        var readiness = new ReadinessState();
        readiness.MarkDraining();

        await readiness.LongCallsEndedAsync(CancellationToken.None); // a hang here fails the run
        Assert.True(readiness.Draining.IsCancellationRequested);
        Assert.False(readiness.IsReady);
    }

    [Fact]
    public async Task TwoLongCalls_TheWaitEndsWithTheLast_AndADoubleDisposeCountsOnce()
    {
        var readiness = new ReadinessState();
        var first = readiness.EnterLongCall();
        var second = readiness.EnterLongCall();
        readiness.MarkDraining();
        var waiting = readiness.LongCallsEndedAsync(CancellationToken.None);

        first.Dispose();
        first.Dispose();
        Assert.False(waiting.IsCompleted);

        second.Dispose();
        await waiting;
    }

    [Fact]
    public void LongCallEndedWhileDraining_OnlyForACallThatEndsAfterTheDrainBegan()
    {
        var readiness = new ReadinessState();
        readiness.EnterLongCall().Dispose();
        var open = readiness.EnterLongCall();
        readiness.MarkDraining();
        Assert.False(readiness.LongCallEndedWhileDraining); // the first ended before: no stream's last frames to wait for

        open.Dispose();

        Assert.True(readiness.LongCallEndedWhileDraining);
    }

    [Fact]
    public async Task ACallThatEndsBeforeTheDrain_IsNotWaitedFor()
    {
        var readiness = new ReadinessState();
        readiness.EnterLongCall().Dispose();
        readiness.MarkDraining();

        await readiness.LongCallsEndedAsync(CancellationToken.None);
    }

    [Fact]
    public async Task TheHostsTimeout_EndsTheWait()
    {
        var readiness = new ReadinessState();
        using var open = readiness.EnterLongCall();
        readiness.MarkDraining();
        using var timeout = new CancellationTokenSource();
        var waiting = readiness.LongCallsEndedAsync(timeout.Token);

        await timeout.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
