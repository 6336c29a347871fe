using Serving.LoadTests.Bench;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Bench;

public sealed class BenchRatiosTests
{
    private static readonly BatchingConfig Batching = new(MaxBatchSize: 64, MaxQueueDelayMicros: 500);

    [Theory]
    [InlineData(new[] { 1, 8, 64, 256 }, 64)]
    [InlineData(new[] { 1, 8 }, 8)]
    [InlineData(new[] { 256, 32 }, 256)]
    public void ReferenceConcurrency_Sixty4WhenMeasured_ElseTheHighest(int[] concurrencies, int expected)
    {
        Assert.Equal(expected, BenchRatios.ReferenceConcurrency(concurrencies));
    }

    [Fact]
    public void Efficiency_EchoBelowRawOrt_DividesByEcho()
    {
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000),
            Reports.Closed(BenchArm.WorkerBatching, 64, 14_000),
            Reports.Closed(BenchArm.Echo, 64, 20_000));

        var ratio = Ratio(model, "serving efficiency");

        Assert.Equal(0.7, ratio.Value!.Value, 3);
        Assert.True(ratio.Pass);
        Assert.Contains("echo binds", ratio.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Efficiency_RawOrtBelowEcho_DividesByRawOrtAndMisses()
    {
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000),
            Reports.Closed(BenchArm.WorkerBatching, 64, 15_000),
            Reports.Closed(BenchArm.Echo, 64, 50_000));

        var ratio = Ratio(model, "serving efficiency");

        Assert.Equal(0.5, ratio.Value!.Value, 3);
        Assert.False(ratio.Pass);
        Assert.Equal("MISS", ratio.Verdict);
        Assert.Contains("raw ORT binds", ratio.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Efficiency_CellMissing_HasNoValueAndNoVerdict()
    {
        var model = Reports.Model(Reports.RawOrt(150, 30_000, 2_000), Reports.Closed(BenchArm.Echo, 64, 50_000));

        var ratio = Ratio(model, "serving efficiency");

        Assert.Null(ratio.Value);
        Assert.Null(ratio.Pass);
        Assert.Equal("—", ratio.Verdict);
    }

    [Fact]
    public void BatchingGain_BothWorkerCells_IsOnOverOffBesideTheRawOrtGain()
    {
        var model = Reports.Model(
            Reports.RawOrt(100, 40_000, 1_600),
            Reports.Closed(BenchArm.WorkerBatching, 64, 12_000),
            Reports.Closed(BenchArm.WorkerUnbatched, 64, 4_000));

        var ratio = Ratio(model, "batching gain");

        Assert.Equal(3.0, ratio.Value!.Value, 3);
        Assert.Null(ratio.Pass);
        Assert.Contains("4.00×", ratio.Detail, StringComparison.Ordinal); // raw ORT: 40,000 ÷ 10,000 rows/s
    }

    [Fact]
    public void VersusNaive_ComputeBoundModel_HasTheTarget()
    {
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000),
            Reports.Closed(BenchArm.WorkerBatching, 64, 9_000),
            Reports.Closed(BenchArm.Naive, 64, 3_000));

        var ratio = Ratio(model, "vs naive");

        Assert.True(model.IsComputeBound);
        Assert.Equal(3.0, ratio.Value!.Value, 3);
        Assert.Equal("≥ 3", ratio.Target);
        Assert.True(ratio.Pass);
    }

    [Fact]
    public void VersusNaive_RpcBoundModel_HasNoTarget()
    {
        var model = Reports.Model(
            Reports.RawOrt(3, 7_000_000, 8),
            Reports.Closed(BenchArm.WorkerBatching, 64, 9_000),
            Reports.Closed(BenchArm.Naive, 64, 10_000));

        var ratio = Ratio(model, "vs naive");

        Assert.False(model.IsComputeBound);
        Assert.Equal(0.9, ratio.Value!.Value, 3);
        Assert.Null(ratio.Pass);
        Assert.StartsWith("—", ratio.Target, StringComparison.Ordinal);
    }

    [Fact]
    public void P99AtHalfPeak_UnderDelayPlusThreeFullBatches_Passes()
    {
        // bound = 500 µs + 3 × 2,000 µs = 6,500 µs
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000),
            Reports.Closed(BenchArm.WorkerBatching, 8, 6_000),
            Reports.Closed(BenchArm.WorkerBatching, 64, 12_000),
            Reports.Open(BenchArm.WorkerBatching, 6_000, 6_400));

        var ratio = Ratio(model, "p99 at half of peak");

        Assert.Equal(6_400, ratio.Value);
        Assert.Equal("≤ 6,500 µs", ratio.Target);
        Assert.True(ratio.Pass);
        Assert.Contains("half of peak 12,000 rows/s", ratio.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void P99AtHalfPeak_OtherServersAtTheSameRate_AreQuotedBeside()
    {
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000),
            Reports.Open(BenchArm.WorkerBatching, 6_000, 6_400),
            Reports.Open(BenchArm.Echo, 6_000, 900),
            Reports.Open(BenchArm.WorkerUnbatched, 6_000, 50_000, failed: 12));

        var detail = Ratio(model, "p99 at half of peak").Detail;

        Assert.Contains("p99 at the same rate: worker, batching off 50.0 ms (12 failed), echo server 900 µs", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void P99AtHalfPeak_EchoFailsAtTheRateToo_SaysTheFigureDoesNotIsolateTheWorker()
    {
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000),
            Reports.Open(BenchArm.WorkerBatching, 6_000, 100_000, failed: 50),
            Reports.Open(BenchArm.Echo, 6_000, 90_000, failed: 40));

        var ratio = Ratio(model, "p99 at half of peak");

        Assert.False(ratio.Pass);
        Assert.Contains("does not isolate the worker", ratio.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void P99AtHalfPeak_OverTheBound_Misses()
    {
        var model = Reports.Model(Reports.RawOrt(150, 30_000, 2_000), Reports.Open(BenchArm.WorkerBatching, 6_000, 6_600));

        Assert.False(Ratio(model, "p99 at half of peak").Pass);
    }

    [Fact]
    public void P99AtHalfPeak_FailedCalls_Misses()
    {
        var model = Reports.Model(Reports.RawOrt(150, 30_000, 2_000), Reports.Open(BenchArm.WorkerBatching, 6_000, 1_000, failed: 3));

        Assert.False(Ratio(model, "p99 at half of peak").Pass);
    }

    [Fact]
    public void VersusCpuCeiling_EchoAndRawOrtCpu_DividesByCoresOverTheirSum()
    {
        // 2 cores ÷ (60 µs RPC + 40 µs ORT) per row = 20,000 rows/s.
        var echo = Reports.Closed(BenchArm.Echo, 64, 25_000);
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000, cpuMicrosPerRow: 40),
            Reports.Closed(BenchArm.WorkerBatching, 64, 15_000),
            echo with { Report = echo.Report! with { ProcessCpuMicrosPerCall = 60 } });

        var ratio = Ratio(model, "vs CPU ceiling");

        Assert.Equal(0.75, ratio.Value!.Value, 3);
        Assert.Null(ratio.Pass);
        Assert.Contains("= 20,000 rows/s", ratio.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void VersusCpuCeiling_NoRawOrtCpu_HasNoValue()
    {
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000),
            Reports.Closed(BenchArm.WorkerBatching, 64, 15_000),
            Reports.Closed(BenchArm.Echo, 64, 25_000));

        Assert.Null(Ratio(model, "vs CPU ceiling").Value);
    }

    [Fact]
    public void PairedEfficiency_TwoRounds_IsTheMeanOfTheRoundsEachAgainstItsOwnEcho()
    {
        // The main cells say 0.5 (the echo cell ran in a fast spell); the rounds say 0.8 and 0.9.
        var model = Reports.Model(
            Reports.RawOrt(2, 5_000_000, 10),
            Reports.Closed(BenchArm.WorkerBatching, 64, 30_000),
            Reports.Closed(BenchArm.Echo, 64, 60_000),
            Reports.Paired(BenchArm.Echo, 1, 40_000),
            Reports.Paired(BenchArm.WorkerBatching, 1, 32_000),
            Reports.Paired(BenchArm.WorkerBatching, 2, 45_000),
            Reports.Paired(BenchArm.Echo, 2, 50_000));

        var paired = Ratio(model, "serving efficiency, paired");

        Assert.Equal(0.85, paired.Value!.Value, 3);
        Assert.True(paired.Pass);
        Assert.Contains("round 1: 32,000 rows/s ÷ 40,000 rows/s = 0.80×", paired.Detail, StringComparison.Ordinal);
        Assert.Contains("round 2: 45,000 rows/s ÷ 50,000 rows/s = 0.90×", paired.Detail, StringComparison.Ordinal);
        Assert.Equal(0.5, Ratio(model, "serving efficiency").Value!.Value, 3);
    }

    [Fact]
    public void PairedEfficiency_ThreeRoundsOneFailed_IsTheMedianOfTheRoundsWithBothCells_RawOrtCanBind()
    {
        var model = Reports.Model(
            Reports.RawOrt(150, 20_000, 3_000),
            Reports.Paired(BenchArm.Echo, 1, 50_000),
            Reports.Paired(BenchArm.WorkerBatching, 1, 12_000),
            Reports.Paired(BenchArm.WorkerBatching, 2, 13_000),
            new BenchCell(BenchArm.Echo, "paired", 64, null, null, "the cell failed", null, Round: 2),
            Reports.Paired(BenchArm.Echo, 3, 55_000),
            Reports.Paired(BenchArm.WorkerBatching, 3, 16_000),
            Reports.Paired(BenchArm.WorkerBatching, 4, 10_000),
            Reports.Paired(BenchArm.Echo, 4, 45_000));

        var paired = Ratio(model, "serving efficiency, paired");

        // Rounds 1, 3, 4 against raw ORT's 20,000 (below every echo): 0.6, 0.8, 0.5 → median 0.6.
        Assert.Equal(0.6, paired.Value!.Value, 3);
        Assert.False(paired.Pass);
        Assert.Contains("median over 3 round(s)", paired.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("round 2:", paired.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void PairedEfficiency_NotRun_HasNoValueAndNoVerdict()
    {
        var model = Reports.Model(
            Reports.RawOrt(2, 5_000_000, 10),
            Reports.Closed(BenchArm.WorkerBatching, 64, 30_000),
            Reports.Closed(BenchArm.Echo, 64, 40_000));

        var paired = Ratio(model, "serving efficiency, paired");

        Assert.Null(paired.Value);
        Assert.Null(paired.Pass);
        Assert.Contains("not run", paired.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void PairedCells_AreNotTheMainCells()
    {
        var model = Reports.Model(null, Reports.Paired(BenchArm.WorkerBatching, 1, 32_000));

        Assert.Null(model.Closed(BenchArm.WorkerBatching, 64));
        Assert.Null(model.PeakBatchedRowsPerSecond);
        Assert.Single(model.Paired(BenchArm.WorkerBatching));
    }

    [Fact]
    public void PeakBatchedRowsPerSecond_Cells_IsTheBestClosedBatchedCell()
    {
        var model = Reports.Model(
            null,
            Reports.Closed(BenchArm.WorkerBatching, 1, 1_000),
            Reports.Closed(BenchArm.WorkerBatching, 64, 9_000),
            Reports.Closed(BenchArm.WorkerBatching, 256, 8_000),
            Reports.Closed(BenchArm.Echo, 64, 50_000));

        Assert.Equal(9_000, model.PeakBatchedRowsPerSecond);
    }

    private static BenchRatio Ratio(BenchModelResult model, string name) =>
        BenchRatios.Compute(model.Batching is null ? model with { Batching = Batching } : model, 64, 2).Single(r => r.Name == name);

    [Fact]
    public void Efficiency_SeveralRawOrtSettings_DividesByTheBestAndNamesIt()
    {
        var raw = Reports.RawOrt(150, 16_000, 2_000, maxBatch: 32, threads: 1);
        raw = raw with { Results = [.. raw.Results, Reports.RawResult(32, 30_000, 2_100, callers: 2, threads: 1), Reports.RawResult(32, 25_000, 1_300)] };
        var model = Reports.Model(raw, Reports.Closed(BenchArm.WorkerBatching, 64, 15_000), Reports.Closed(BenchArm.Echo, 64, 60_000));

        var ratio = Ratio(model, "serving efficiency");

        Assert.Equal(0.5, ratio.Value);
        Assert.Contains("raw ORT batch 32 (2 callers × 1 intra-op thread) 30,000 rows/s", ratio.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void P99AtHalfPeak_SeveralInstances_BoundUsesTheRunAsTheWorkerRunsIt()
    {
        // The worker: two instances of one thread, 1 ms delay. The bound takes the mean run with two callers at once
        // (2,100 µs), not the faster ORT-defaults run (1,300 µs) nor the one-caller run (2,000 µs).
        var raw = Reports.RawOrt(150, 16_000, 2_000, maxBatch: 32, threads: 1);
        raw = raw with { Results = [.. raw.Results, Reports.RawResult(32, 30_000, 2_100, callers: 2, threads: 1), Reports.RawResult(32, 25_000, 1_300)] };
        var model = Reports.Model(raw, Reports.Open(BenchArm.WorkerBatching, 6_000, 7_000)) with { Batching = new BatchingConfig(32, 1_000, 2, 1) };

        var ratio = Ratio(model, "p99 at half of peak");

        Assert.Equal("≤ 7,300 µs", ratio.Target);
        Assert.True(ratio.Pass);
        Assert.Contains("max_queue_delay 1,000 µs + 3 × raw ORT batch 32 2,100 µs (mean run with 2 runs at once", ratio.Detail, StringComparison.Ordinal);
    }
}
