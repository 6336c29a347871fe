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

    [Fact]
    public void From_Rounds_MedianOfEachRoundsDifference_RoundTripsSummed()
    {
        var rounds = new[]
        {
            (FeatureReports.Arm("off", FeatureArm.Lookup, 4000, p99Micros: 3500, storeCalls: 100), FeatureReports.Arm("off", FeatureArm.Inline, 5000, p99Micros: 2000)),
            (FeatureReports.Arm("off", FeatureArm.Lookup, 3000, p99Micros: 2600, storeCalls: 100) with { Round = 2 }, FeatureReports.Arm("off", FeatureArm.Inline, 6000, p99Micros: 2200) with { Round = 2 }),
            (FeatureReports.Arm("off", FeatureArm.Lookup, 5000, p99Micros: 2900, storeCalls: 100) with { Round = 3 }, FeatureReports.Arm("off", FeatureArm.Inline, 4000, p99Micros: 2000) with { Round = 3 }),
        };

        var c = FeatureComparison.From(rounds, 0, null);

        Assert.Equal([1500L, 400L, 900L], c.AddedP99ByRound);
        Assert.Equal(900, c.AddedP99Micros); // the median, not the mean (933)
        Assert.Equal(4000, c.LookupRequestsPerSecond!.Value, 9);
        Assert.Equal(5000, c.InlineRequestsPerSecond!.Value, 9);
        Assert.Equal(300, c.RoundTrips!.StoreCalls);
        Assert.Equal(300, c.RoundTrips.Batches);
        Assert.Equal(1.0, c.RoundTrips.PerBatch);
    }

    [Fact]
    public void From_RoundWithAFailedArm_LeftOutOfTheMedian()
    {
        var failed = new FeatureArm("off", FeatureArm.Inline, null, "the server stopped", null, null, null, Round: 2);
        var c = FeatureComparison.From(
            [
                (FeatureReports.Arm("off", FeatureArm.Lookup, 4000, p99Micros: 2600), FeatureReports.Arm("off", FeatureArm.Inline, 5000, p99Micros: 2000)),
                (FeatureReports.Arm("off", FeatureArm.Lookup, 4000, p99Micros: 9000) with { Round = 2 }, failed),
            ],
            0,
            null);

        Assert.Equal([600L], c.AddedP99ByRound);
        Assert.Equal(600, c.AddedP99Micros);
    }

    [Theory]
    [InlineData(new long[] { 5 }, 5L)]
    [InlineData(new long[] { 3, 1, 2 }, 2L)]
    [InlineData(new long[] { 100, -300 }, -100L)]
    [InlineData(new long[] { 1, 2 }, 2L)] // 1.5 rounds away from zero
    public void Median_OddEvenAndNegative(long[] values, long expected)
    {
        Assert.Equal(expected, FeatureComparison.Median(values));
    }

    [Fact]
    public void Median_Empty_IsNull()
    {
        Assert.Null(FeatureComparison.Median([]));
    }
}
