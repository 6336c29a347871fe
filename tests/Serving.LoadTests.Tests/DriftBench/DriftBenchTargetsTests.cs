using Serving.LoadTests.DriftBench;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.DriftBench;

public sealed class DriftBenchTargetsTests
{
    [Fact]
    public void ThroughputRatio_MeanWithLoggingOverMeanWithout_NoTarget_AFailedCellDoesNotCount()
    {
        WorkerCell[] cells = [Cell(false, 1000), Cell(true, 960), Cell(false, 1000), Cell(true, 940, round: 2), new WorkerCell(true, 3, null, "did not start", null)];

        var ratio = DriftBenchTargets.ThroughputRatio("tabular", cells);

        Assert.Equal(0.95, ratio.Value!.Value, 6);
        Assert.Null(ratio.Pass);
    }

    [Fact]
    public void ThroughputRatio_AnArmWithoutCells_HasNoValue()
    {
        var ratio = DriftBenchTargets.ThroughputRatio("tabular", [Cell(false, 1000)]);

        Assert.Null(ratio.Value);
        Assert.Null(ratio.Pass);
    }

    [Fact]
    public void PerRoundRatio_MedianOfEachRoundsOwnPair_AgainstTheTarget_AndARoundMissingACellIsLeftOut()
    {
        WorkerCell[] cells =
        [
            Cell(false, 1000, round: 1), Cell(true, 900, round: 1),     // 0.90
            Cell(true, 1900, round: 2), Cell(false, 2000, round: 2),    // 0.95 (a faster machine in this round)
            Cell(false, 1000, round: 3), Cell(true, 980, round: 3),     // 0.98
            Cell(false, 1000, round: 4), new WorkerCell(true, 4, null, "did not start", null),
        ];

        var row = DriftBenchTargets.PerRoundRatio("tabular", cells);

        Assert.Equal(0.95, row.Value!.Value, 6);
        Assert.True(row.Pass);
        Assert.Equal("3 round(s): round 1 0.900×, round 2 0.950×, round 3 0.980×", row.Detail);

        // The mean over mean of the same cells is pulled by round 2's faster machine.
        Assert.NotEqual(0.95, DriftBenchTargets.ThroughputRatio("tabular", cells).Value!.Value, 3);
    }

    [Fact]
    public void PerRoundRatio_OneOutlyingRound_MovesTheMeanPastTheTarget_NotTheMedian()
    {
        // As on 2026-12-06: three rounds near 0.85 and one whose logging cell ran 40% faster than its pair.
        WorkerCell[] cells =
        [
            Cell(false, 42_202, round: 1), Cell(true, 35_839, round: 1),
            Cell(true, 39_603, round: 2), Cell(false, 47_027, round: 2),
            Cell(false, 45_137, round: 3), Cell(true, 64_372, round: 3),
            Cell(true, 51_060, round: 4), Cell(false, 59_589, round: 4),
        ];

        var median = DriftBenchTargets.PerRoundRatio("tabular", cells);
        var mean = DriftBenchTargets.ThroughputRatio("tabular", cells);

        Assert.False(median.Pass);
        Assert.InRange(median.Value!.Value, 0.84, 0.86);
        Assert.True(mean.Value > DriftBenchTargets.MinThroughputRatio);
    }

    [Fact]
    public void PerRoundRatio_EvenRounds_MeanOfTheMiddleTwo_NoRound_NoValue()
    {
        WorkerCell[] cells = [Cell(false, 1000, round: 1), Cell(true, 900, round: 1), Cell(false, 1000, round: 2), Cell(true, 1000, round: 2)];

        Assert.Equal(0.95, DriftBenchTargets.PerRoundRatio("tabular", cells).Value!.Value, 6);
        Assert.Null(DriftBenchTargets.PerRoundRatio("tabular", [Cell(false, 1000, round: 1), Cell(true, 900, round: 2)]).Value);
    }

    [Fact]
    public void CpuPerRequest_MeanCpuPerCallWithLoggingOverWithout_HasNoTarget()
    {
        WorkerCell[] cells =
        [
            new(false, 1, Reports.Load(1000) with { ProcessCpuMicrosPerCall = 50 }, null, null),
            new(true, 1, Reports.Load(900) with { ProcessCpuMicrosPerCall = 60 }, null, null),
            new(true, 2, Reports.Load(900) with { ProcessCpuMicrosPerCall = 70 }, null, null),
        ];

        var row = DriftBenchTargets.CpuPerRequest("tabular", cells);

        Assert.Equal(1.3, row.Value!.Value, 6);
        Assert.Null(row.Pass);
    }

    [Fact]
    public void Dropped_AnyDroppedRecord_Misses()
    {
        WorkerCell[] cells = [Cell(true, 900, new LoggingStats(100, 0, 100, 100, 0)), Cell(true, 900, new LoggingStats(100, 5, 95, 95, 0))];

        var dropped = DriftBenchTargets.Dropped("tabular", cells);

        Assert.Equal(5, dropped.Value);
        Assert.False(dropped.Pass);
    }

    [Theory]
    [InlineData(DriftBenchTargets.DefaultArchiveLabel, 120_000, true)]
    [InlineData(DriftBenchTargets.DefaultArchiveLabel, 90_000, false)]
    [InlineData(DriftBenchTargets.OsFlushLabel, 90_000, null)]
    public void IngestRate_OnlyTheDefaultArchiveRunHasTheTarget(string label, double rate, bool? pass)
    {
        var row = DriftBenchTargets.IngestRate("tabular", Run(label, rate, acked: 1000, archived: 1000, lines: 1000));

        Assert.Equal(rate, row.Value);
        Assert.Equal(pass, row.Pass);
    }

    [Fact]
    public void IngestRate_AckedRecordsMissingFromTheArchive_SaysSo()
    {
        var run = Run(DriftBenchTargets.DefaultArchiveLabel, 120_000, acked: 1000, archived: 1000, lines: 999);

        Assert.False(run.AckedIsOnDisk);
        Assert.Contains("archive lines 999", DriftBenchTargets.IngestRate("tabular", run).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_ShowsTargetsAndBothParts()
    {
        var report = new DriftBenchReport
        {
            StartedAt = DateTimeOffset.UnixEpoch,
            TotalSeconds = 60,
            Machine = new Serving.LoadTests.Bench.BenchMachine(2, "cpu", ".NET", "1.0", true, true),
            Model = "tabular",
            ModelVersion = "2",
            GrpcClient = "raw-h2",
            Concurrency = 64,
            DurationSeconds = 10,
            WarmupSeconds = 3,
            ServerWarmupSeconds = 10,
            Rounds = 1,
            WorkerCells = [Cell(false, 1000), Cell(true, 960, new LoggingStats(9600, 0, 9600, 9600, 0)) with { Batching = new(5000, 1.87, 40, 12, 0) }],
            Ingest = [Run(DriftBenchTargets.DefaultArchiveLabel, 123_456, 1000, 1000, 1000)],
            Targets = [],
        };
        report = report with { Targets = DriftBenchTargets.Compute("tabular", report.WorkerCells, report.Ingest) };

        var md = DriftBenchMarkdown.Render(report);

        Assert.Contains("| worker throughput, logging 100% ÷ off (median of the rounds) | 0.960× | ≥ 0.95 | PASS | 1 round(s): round 1 0.960× |", md, StringComparison.Ordinal);
        Assert.Contains("| sidecar ingest rate, archive on, fsync per batch (default) | 123,456/s | ≥ 100,000/s | PASS |", md, StringComparison.Ordinal);
        Assert.Contains("| 1 | logging 100% → sidecar | 960 |", md, StringComparison.Ordinal);
        Assert.Matches(@"\| 1 \| logging 100% → sidecar \| 960 \|[^\n]*\| 1\.87 \| 9,600 \| 0 \| 9,600 \|", md);
        Assert.Matches(@"\| 1 \| logging off \| 1,000 \|[^\n]*\| — \| — \| — \| — \|", md);
        Assert.Contains("| worker throughput, logging 100% ÷ off, mean of the cells | 0.960× | — (for reading the ratio) | — |", md, StringComparison.Ordinal);
    }

    private static WorkerCell Cell(bool logging, double rps, LoggingStats? logs = null, int round = 1) =>
        new(logging, round, Reports.Load(rps), null, logs);

    private static IngestResult Run(string label, double rate, long acked, long archived, long lines) => new(
        label, true, 1, 512, 16, 10, (long)(rate * 10), rate, 300, acked / 512, acked, 0, archived, archived,
        new ArchiveCount(1, lines * 1400, lines), new LatencySummary(1, 1, 1, 1, 1, 1, 1, 1), 1.5, 0.1, 12.5, null);
}
