using Serving.Gateway.Rollback;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Rollback;

public sealed class RollbackPlanTests
{
    [Fact]
    public void For_MovesTheVersionsWeightToTheBaseline_KeepsTheRest_BasedOnTheSeenRevision()
    {
        var policy = new TrafficPolicy(
            "m", [new("1", 70), new("2", 20), new("3", 10)], "x-user-id", "x-pin", new ShadowPolicy("3", 5), 7, DateTimeOffset.UnixEpoch, "alice",
            new RollbackPolicy("1", 0.05, 0, 100, 60));

        var document = RollbackPlan.For(policy, "2");

        Assert.Equal(new Dictionary<string, int> { ["1"] = 90, ["2"] = 0, ["3"] = 10 }, document.Weights);
        Assert.Equal(7, document.Revision);
        Assert.Equal(("x-user-id", "x-pin", "3", 5), (document.StickyHeader, document.PinHeader, document.Shadow!.Version, document.Shadow.Percent));
        Assert.Equal(("1", 0.05), (document.Rollback!.Baseline, document.Rollback.MaxErrorRate));
    }

    [Fact]
    public void For_ValidatesAgainstTheSameRules()
    {
        var policy = new TrafficPolicy("tabular", [new("1", 90), new("2", 10)], null, null, null, 3, DateTimeOffset.UnixEpoch, "t", new RollbackPolicy("1", 0.05, 0, 100, 60));

        var errors = TrafficPolicyValidator.Validate("tabular", RollbackPlan.For(policy, "2"), TestSupport.Routes.Model("tabular", ready: ["1", "2"]));

        Assert.Empty(errors);
    }
}
