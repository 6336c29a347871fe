using Serving.LoadTests.Bench;
using Serving.LoadTests.DriftBench;

namespace Serving.LoadTests.Tests.DriftBench;

/// <summary>One short real run: real workers, a real in-process sidecar, real gRPC. Nothing about time is asserted.</summary>
public sealed class DriftBenchRunnerTests
{
    [Fact]
    public void CellOrder_IsAbba_OffFirstInOddRounds_OnFirstInEvenRounds()
    {
        var order = Enumerable.Range(1, 4).SelectMany(round => DriftBenchRunner.CellOrder(round, "off", "on")).ToArray();

        Assert.Equal(["off", "on", "on", "off", "off", "on", "on", "off"], order);
    }

    [Fact]
    public async Task RunAsync_Short_BothWorkerArmsServe_LogsReachTheSidecar_IngestAcksAreOnDisk()
    {
        var options = new DriftBenchOptions
        {
            Duration = TimeSpan.FromSeconds(1.5),
            Warmup = TimeSpan.FromSeconds(0.5),
            ServerWarmup = TimeSpan.Zero,
            Rounds = 1,
            Concurrency = 8,
            IngestDuration = TimeSpan.FromSeconds(1),
            IngestWarmup = TimeSpan.FromSeconds(0.5),
            OsFlushRun = false,
        };
        options.Validate();
        var root = BenchModel.FindRepositoryRoot(AppContext.BaseDirectory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var report = await new DriftBenchRunner(options, new DriftBenchProgress(options.Estimate)).RunAsync(root, timeout.Token);

        Assert.Null(report.StoppedEarly);
        Assert.Equal(2, report.WorkerCells.Count);
        Assert.All(report.WorkerCells, c =>
        {
            Assert.Null(c.Error);
            Assert.True(c.Report!.Succeeded > 0, $"{c.Arm}: no request succeeded");
            Assert.Equal(0, c.Report.Failed);
        });
        var logs = Assert.Single(report.WorkerCells, c => c.Logging).Logs!;
        Assert.True(logs.Enqueued > 0 && logs.Acked > 0, $"logging cell: {logs}");
        Assert.Null(Assert.Single(report.WorkerCells, c => !c.Logging).Logs);

        var ingest = Assert.Single(report.Ingest);
        Assert.Null(ingest.Error);
        Assert.True(ingest.MeasuredRecords > 0, "no record acknowledged in the window");
        Assert.Equal(0, ingest.RecordsRejected);
        Assert.Equal(ingest.RecordsAcked, ingest.SidecarArchived);
        Assert.Equal(ingest.RecordsAcked, ingest.Archive!.Lines);
        Assert.True(ingest.AckedIsOnDisk);
        Assert.Equal(5, report.Targets.Count); // throughput, per-round throughput, CPU, dropped, one ingest run
    }
}
