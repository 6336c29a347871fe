using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Traffic;

public sealed class TrafficPolicyTests
{
    [Fact]
    public void PickVersion_ThreeArms_ConsecutiveRangesInVersionOrder()
    {
        var policy = new TrafficPolicy("m", [new("10", 20), new("2", 50), new("1", 30)], null, null, null, 1, DateTimeOffset.UnixEpoch, "t");

        Assert.Equal(["1", "2", "10"], policy.Weights.Select(w => w.Version));
        Assert.Equal("1", policy.PickVersion(0));
        Assert.Equal("1", policy.PickVersion(2_999));
        Assert.Equal("2", policy.PickVersion(3_000));
        Assert.Equal("2", policy.PickVersion(7_999));
        Assert.Equal("10", policy.PickVersion(8_000));
        Assert.Equal("10", policy.PickVersion(9_999));
    }

    [Fact]
    public void PickVersion_ZeroWeightVersion_NeverPicked()
    {
        var policy = new TrafficPolicy("m", [new("1", 0), new("2", 100), new("3", 0)], null, null, null, 1, DateTimeOffset.UnixEpoch, "t");

        Assert.All(Enumerable.Range(0, TrafficPolicy.Buckets), b => Assert.Equal("2", policy.PickVersion(b)));
    }
}
