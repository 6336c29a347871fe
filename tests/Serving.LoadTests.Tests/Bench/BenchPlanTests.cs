using Serving.LoadTests.Bench;

namespace Serving.LoadTests.Tests.Bench;

public sealed class BenchPlanTests
{
    [Fact]
    public void Cells_Defaults_AreModelsTimesServersTimesConcurrenciesPlusOneOpenPerServerPlusThePairedRounds()
    {
        var options = new BenchOptions();

        Assert.Equal(2 * 4 * 4, BenchPlan.ClosedCells(options));
        Assert.Equal(2 * 4, BenchPlan.OpenCells(options));
        Assert.Equal(2 * 2 * 2, BenchPlan.PairedCells(options));
        Assert.Equal(48, BenchPlan.Cells(options));
    }

    [Fact]
    public void PairedCells_NeedTheBatchedWorkerAndTheEchoServerAndRounds()
    {
        Assert.Equal(0, BenchPlan.PairedCells(new BenchOptions { PairedRounds = 0 }));
        Assert.Equal(0, BenchPlan.PairedCells(new BenchOptions { Arms = [BenchArm.WorkerBatching, BenchArm.Naive] }));
        Assert.Equal(0, BenchPlan.PairedCells(new BenchOptions { Arms = [BenchArm.Echo] }));
        Assert.Equal(2 * 2 * 3, BenchPlan.PairedCells(new BenchOptions { Arms = [BenchArm.Echo, BenchArm.WorkerBatching], PairedRounds = 3 }));
    }

    [Fact]
    public void OpenCells_NoBatchedWorker_AreNone()
    {
        Assert.Equal(0, BenchPlan.OpenCells(new BenchOptions { Arms = [BenchArm.Echo, BenchArm.Naive] }));
    }

    [Fact]
    public void Cells_OnlyTheBatchedWorker_HasOneOpenCellPerModelAndNoCheck()
    {
        var options = new BenchOptions { Arms = [BenchArm.WorkerBatching], Concurrencies = [64], ServerWarmup = TimeSpan.Zero };
        var cell = options.Warmup.TotalSeconds + options.Duration.TotalSeconds + BenchPlan.CellOverheadSeconds;

        Assert.Equal(2, BenchPlan.ClosedCells(options));
        Assert.Equal(2, BenchPlan.OpenCells(options));
        Assert.Equal(Math.Ceiling((2 * 2 * (5 + 1)) + (2 * BenchPlan.ServerStartSeconds) + (4 * cell)), BenchPlan.Estimate(options).TotalSeconds);
    }

    [Theory]
    [InlineData("worker-batching")]
    [InlineData("worker-unbatched")]
    [InlineData("naive")]
    [InlineData("echo")]
    public void Parse_ShortName_RoundTrips(string name)
    {
        Assert.Equal(name, BenchArms.Parse(name).ToName());
    }

    [Fact]
    public void Parse_UnknownName_Throws()
    {
        Assert.Throws<LoadTestException>(() => BenchArms.Parse("triton"));
    }

    [Fact]
    public void Estimate_Defaults_IsUnderTenMinutes()
    {
        var estimate = BenchPlan.Estimate(new BenchOptions());

        Assert.InRange(estimate, TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(10));
    }

    [Fact]
    public void Estimate_SumsRawOrtServersCellsAndTheCheck()
    {
        var options = new BenchOptions { Duration = TimeSpan.FromSeconds(5), Warmup = TimeSpan.FromSeconds(2), ServerWarmup = TimeSpan.FromSeconds(3), Concurrencies = [64], Models = ["a"] };
        var cell = 2 + 5 + BenchPlan.CellOverheadSeconds;

        // Four servers, then the paired check's two; 4 closed + 4 open cells, then 2 rounds × 2 paired cells.
        var servers = (4 + 2) * (BenchPlan.ServerStartSeconds + 3 + BenchPlan.CellOverheadSeconds);
        var expected = (2 * (5 + 1)) + servers + ((8 + 4) * cell) + (5 + 1 + (2 * cell));

        Assert.Equal(Math.Ceiling(expected), BenchPlan.Estimate(options).TotalSeconds);
    }

    [Fact]
    public void Estimate_NoH2Load_StillCountsOurGeneratorRuns()
    {
        var with = BenchPlan.Estimate(new BenchOptions());
        var without = BenchPlan.Estimate(new BenchOptions { H2LoadCheck = false });

        Assert.True(without < with);
    }

    [Fact]
    public void Bound_LeavesRoomToRetryEveryCell()
    {
        var options = new BenchOptions();
        var more = new BenchOptions { NoisyRetries = 2 };

        Assert.True(BenchPlan.Bound(options) >= (BenchPlan.Estimate(options) * 2));
        Assert.True(BenchPlan.Bound(more) >= (BenchPlan.Estimate(more) * 3));
    }

    [Theory]
    [InlineData(0, 2, new[] { 1 }, 64)]
    [InlineData(5, -1, new[] { 1 }, 64)]
    [InlineData(5, 2, new int[0], 64)]
    [InlineData(5, 2, new[] { 1 }, 1)]
    public void Validate_BadOptions_Throw(int durationSeconds, int warmupSeconds, int[] concurrencies, int maxBatch)
    {
        var options = new BenchOptions
        {
            Duration = TimeSpan.FromSeconds(durationSeconds),
            Warmup = TimeSpan.FromSeconds(warmupSeconds),
            Concurrencies = concurrencies,
            Batching = new BatchingOverrides(maxBatch),
        };

        Assert.Throws<LoadTestException>(options.Validate);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Validate_PairedRoundsOutOfRange_ThrowsNamingTheOption(int rounds)
    {
        var e = Assert.Throws<LoadTestException>(new BenchOptions { PairedRounds = rounds }.Validate);

        Assert.Contains("--paired-rounds", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 0, 2)] // batch 1 and max batch: the worker runs ORT as it comes
    [InlineData(1, 1, 3)] // + max batch with ORT's defaults
    [InlineData(2, 0, 4)] // + max batch with two callers at once, and with one (ORT's defaults)
    [InlineData(2, 1, 4)]
    public void RawOrtRuns_CountTheCallersAndDefaultsMeasurements(int instances, int threads, int expected)
    {
        Assert.Equal(expected, BenchPlan.RawOrtRuns(new BatchingConfig(Instances: instances, IntraOpThreads: threads)));
    }

    [Fact]
    public void Estimate_ModelSettings_CountTheirExtraRawOrtMeasurements()
    {
        var options = new BenchOptions { Models = ["a", "b"], Duration = TimeSpan.FromSeconds(5) };
        var untuned = BenchPlan.Estimate(options, [new BatchingConfig(), new BatchingConfig()]);
        var tuned = BenchPlan.Estimate(options, [new BatchingConfig(), new BatchingConfig(32, 2000, 2, 1)]);

        // Two more raw ORT measurements of 5 s + 1 s warmup each.
        Assert.Equal(12, (tuned - untuned).TotalSeconds, 0.5);
        Assert.Equal(untuned, BenchPlan.Estimate(options));
    }
}
