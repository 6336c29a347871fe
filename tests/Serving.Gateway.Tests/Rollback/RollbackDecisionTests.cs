using Serving.Gateway.Rollback;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Rollback;

public sealed class RollbackDecisionTests
{
    private static readonly RollbackPolicy Settings = new("1", MaxErrorRate: 0.05, MaxP99Ms: 0, MinRequests: 100, WindowSeconds: 60);

    [Fact]
    public void Evaluate_FewerThanMinRequests_Nothing_EvenIfAllFailed()
    {
        Assert.Null(RollbackDecision.Evaluate(Settings, new OutcomeCounts(99, 99, 0)));
    }

    [Fact]
    public void Evaluate_ErrorRateAboveTheLimit_RollBack_WithTheNumbersInTheReason()
    {
        var verdict = RollbackDecision.Evaluate(Settings, new OutcomeCounts(100, 6, 0));

        Assert.NotNull(verdict);
        Assert.Equal(new OutcomeCounts(100, 6, 0), verdict.Counts);
        Assert.Equal("error rate 6% (6 of 100 requests in the last 60 s) is above max_error_rate 5%", verdict.Reason);
    }

    [Theory]
    [InlineData(100, 5)]
    [InlineData(1000, 0)]
    public void Evaluate_ErrorRateAtOrBelowTheLimit_Nothing(long requests, long errors)
    {
        Assert.Null(RollbackDecision.Evaluate(Settings, new OutcomeCounts(requests, errors, 0)));
    }

    [Fact]
    public void Evaluate_LatencyOff_SlowRequestsIgnored()
    {
        Assert.Null(RollbackDecision.Evaluate(Settings, new OutcomeCounts(100, 0, 100)));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void Evaluate_LatencyOn_P99AboveTheLimit_WhenMoreThanOnePercentSlow(long slow, bool rollBack)
    {
        var settings = Settings with { MaxP99Ms = 250 };

        var verdict = RollbackDecision.Evaluate(settings, new OutcomeCounts(100, 0, slow));

        Assert.Equal(rollBack, verdict is not null);
        if (verdict is not null)
        {
            Assert.Contains("p99 latency is above max_p99_ms 250 ms", verdict.Reason, StringComparison.Ordinal);
        }
    }
}
