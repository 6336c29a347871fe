using Serving.LoadTests.FeatureBench;

namespace Serving.LoadTests.Tests.FeatureBench;

public sealed class FeatureComparisonTests
{
    [Fact]
    public void From_TwoArms_AddedLatencyIsLookupMinusInline()
    {
        var lookup = FeatureReports.Arm("off", FeatureArm.Lookup, 4000, p99Micros: 2400, storeCalls: 100);
        var inline = FeatureReports.Arm("off", FeatureArm.Inline, 5000, p99Micros: 2000);

        var c = FeatureComparison.From(lookup, inline, 0, null);

        Assert.Equal(400, c.AddedP99Micros);
        Assert.Equal(100, c.AddedP50Micros); // the hand-built reports put p50 at p99 / 4
        Assert.True(c.P99TargetMet);
        Assert.Equal(0.8, c.ThroughputRatio!.Value, 9);
        Assert.Equal(1.0, c.RoundTrips!.PerBatch);
    }

    [Fact]
    public void From_LookupSlowerThanTarget_NotMet()
    {
        var c = FeatureComparison.From(
            FeatureReports.Arm("off", FeatureArm.Lookup, 4000, p99Micros: 3001), FeatureReports.Arm("off", FeatureArm.Inline, 5000, p99Micros: 2000), 0, null);

        Assert.Equal(1001, c.AddedP99Micros);
        Assert.False(c.P99TargetMet);
    }

    [Fact]
    public void From_LookupFasterUnderNoise_NegativeAddedIsKept()
    {
        var c = FeatureComparison.From(
            FeatureReports.Arm("on", FeatureArm.Lookup, 5000, p99Micros: 1900), FeatureReports.Arm("on", FeatureArm.Inline, 5000, p99Micros: 2000), 1000, null);

        Assert.Equal(-100, c.AddedP99Micros);
        Assert.True(c.P99TargetMet);
    }

    [Fact]
    public void From_AnArmDidNotRun_NothingInvented()
    {
        var failed = new FeatureArm("off", FeatureArm.Inline, null, "the server did not start", null, null, null);

        var c = FeatureComparison.From(FeatureReports.Arm("off", FeatureArm.Lookup, 4000, 2000), failed, 0, null);

        Assert.Null(c.AddedP50Micros);
        Assert.Null(c.AddedP99Micros);
        Assert.False(c.P99TargetMet);
        Assert.Null(c.ThroughputRatio);
    }
}
