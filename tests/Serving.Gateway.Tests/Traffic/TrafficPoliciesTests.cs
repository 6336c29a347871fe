using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Traffic;

public sealed class TrafficPoliciesTests
{
    [Fact]
    public void Apply_AnotherChange_Swaps_TheSameChange_Ignored()
    {
        var policies = new TrafficPolicies();
        var applied = new List<long>();
        policies.Applied += p => applied.Add(p.Revision);

        Assert.True(policies.Apply(Policy(2)));
        Assert.False(policies.Apply(Policy(2)));
        Assert.True(policies.Apply(Policy(3)));

        Assert.Equal(3, policies.Find("m")!.Revision);
        Assert.Equal([2L, 3L], applied);
    }

    [Fact]
    public void Apply_LowerRevisionOfAnotherChange_Swaps()
    {
        // A store that lost its data counts again from 1: what it holds is in force, not the higher number held here.
        var policies = new TrafficPolicies();
        policies.Apply(Policy(5));

        Assert.True(policies.Apply(new("m", [new("1", 50), new("2", 50)], null, null, null, 1, DateTimeOffset.UnixEpoch.AddDays(1), "t")));

        Assert.Equal((1L, 50), (policies.Find("m")!.Revision, policies.Find("m")!.Weights[0].Weight));
    }

    [Fact]
    public void Apply_SnapshotHeldByAReader_IsNotChanged()
    {
        var policies = new TrafficPolicies();
        policies.Apply(Policy(1));
        var snapshot = policies.Current;

        policies.Apply(Policy(2));

        Assert.Equal(1, snapshot["m"].Revision);
        Assert.Equal(2, policies.Current["m"].Revision);
    }

    private static TrafficPolicy Policy(long revision) =>
        new("m", [new("1", 100)], null, null, null, revision, DateTimeOffset.UnixEpoch, "t");
}
