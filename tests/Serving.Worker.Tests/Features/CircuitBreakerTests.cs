using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

public sealed class CircuitBreakerTests
{
    private static CircuitBreaker Breaker(TimeSpan openFor) => new(3, openFor, TimeProvider.System);

    [Fact]
    public void FastFailures_OpenAfterTheThirdInARow()
    {
        var breaker = Breaker(TimeSpan.FromMinutes(1));
        breaker.Failure();
        breaker.Failure();
        Assert.Equal(CircuitBreaker.State.Closed, breaker.Current);
        Assert.True(breaker.TryPass());

        breaker.Failure();
        Assert.Equal(CircuitBreaker.State.Open, breaker.Current);
        Assert.False(breaker.TryPass());
    }

    [Fact]
    public void OneTimeout_OpensAtOnce()
    {
        var breaker = Breaker(TimeSpan.FromMinutes(1));
        breaker.TimedOut();
        Assert.Equal(CircuitBreaker.State.Open, breaker.Current);
        Assert.False(breaker.TryPass());
    }

    [Fact]
    public void Success_ResetsTheCount()
    {
        var breaker = Breaker(TimeSpan.FromMinutes(1));
        breaker.Failure();
        breaker.Failure();
        breaker.Success();
        breaker.Failure();
        breaker.Failure();
        Assert.Equal(CircuitBreaker.State.Closed, breaker.Current);
    }

    [Fact]
    public void AfterTheOpenTime_OneProbePasses_ItsOutcomeClosesOrReopens()
    {
        // Open for no time at all: half-open as soon as it opens.
        var breaker = Breaker(TimeSpan.Zero);
        breaker.TimedOut();
        Assert.Equal(CircuitBreaker.State.HalfOpen, breaker.Current);
        Assert.True(breaker.TryPass());
        Assert.False(breaker.TryPass()); // one probe at a time

        breaker.TimedOut();
        Assert.True(breaker.TryPass()); // the failed probe re-opened it; the next probe goes after the open time
        breaker.Success();
        Assert.Equal(CircuitBreaker.State.Closed, breaker.Current);
        Assert.True(breaker.TryPass());
        Assert.True(breaker.TryPass());
    }
}
