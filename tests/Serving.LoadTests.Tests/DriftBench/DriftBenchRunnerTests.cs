using Serving.LoadTests.Bench;
using Serving.LoadTests.DriftBench;
using Serving.LoadTests.Tests.TestSupport;

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

    [Theory]
    [InlineData(100, 100, 0, 0, 0, true)]
    [InlineData(100, 90, 10, 0, 0, true)]
    [InlineData(100, 80, 0, 15, 5, true)]
    [InlineData(100, 99, 0, 0, 0, false)]
    [InlineData(0, 0, 0, 0, 0, true)]
    public void LogsSettled_EveryQueuedRecordNeedsAnOutcome(int enqueued, int acked, int rejected, int lost, int unsent, bool settled)
    {
        var metrics = $$"""
            # TYPE serving_prediction_logs_enqueued_total counter
            serving_prediction_logs_enqueued_total{model="tabular"} {{enqueued}}
            serving_prediction_logs_acked_total {{acked}}
            serving_prediction_logs_rejected_total {{rejected}}
            serving_prediction_logs_lost_total {{lost}}
            serving_prediction_logs_unsent_total {{unsent}}
            serving_prediction_logs_queue_depth 0
            """;

        Assert.Equal(settled, DriftBenchRunner.LogsSettled(metrics));
    }

    [Fact]
    public async Task RunAsync_Short_BothWorkerArmsServe_LogsReachTheSidecar_IngestAcksAreOnDisk()
    {
        // Every window ends on a count, the durations are only caps: a slow or busy machine (a CI run with other
        // test assemblies beside it) makes the run longer, never empty.
        var options = new DriftBenchOptions
        {
            Duration = TimeSpan.FromMinutes(2),
            CellRequests = 300,
            Warmup = TimeSpan.FromSeconds(0.5),
            ServerWarmup = TimeSpan.Zero,
            Rounds = 1,
            Concurrency = 8,
            IngestDuration = TimeSpan.FromMinutes(2),
            IngestWarmup = TimeSpan.Zero,
            IngestRecords = 1024,
            OsFlushRun = false,
        };
        options.Validate();
        var root = BenchModel.FindRepositoryRoot(AppContext.BaseDirectory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));

        var report = await new DriftBenchRunner(options, new DriftBenchProgress(options.Estimate)).RunAsync(root, timeout.Token);

        Assert.Null(report.StoppedEarly);
        Assert.Equal(2, report.WorkerCells.Count);
        Assert.Equal(OwnBatching.Of(root, "tabular"), report.WorkerBatching); // tabular's own model.yaml
        Assert.Contains($"the model's own settings: `{report.WorkerBatching}`", DriftBenchMarkdown.Render(report), StringComparison.Ordinal);
        Assert.All(report.WorkerCells, c =>
        {
            Assert.Null(c.Error);
            Assert.True(c.Report!.Succeeded > 0, $"{c.Arm}: no request succeeded");
            Assert.Equal(0, c.Report.Failed);
        });
        var logs = Assert.Single(report.WorkerCells, c => c.Logging).Logs!;
        Assert.True(logs.Enqueued > 0, $"logging cell: {logs}");
        Assert.Equal(logs.Enqueued, logs.Acked); // the closing scrape waits for the cell's acks
        Assert.Null(Assert.Single(report.WorkerCells, c => !c.Logging).Logs);

        var ingest = Assert.Single(report.Ingest);
        Assert.Null(ingest.Error);
        Assert.True(ingest.MeasuredRecords >= 1024, $"the window ended on its record count, yet measured {ingest.MeasuredRecords}");
        Assert.Equal(0, ingest.RecordsRejected);
        Assert.Equal(ingest.RecordsAcked, ingest.SidecarArchived);
        Assert.Equal(ingest.RecordsAcked, ingest.Archive!.Lines);
        Assert.True(ingest.AckedIsOnDisk);
        Assert.Equal(5, report.Targets.Count); // throughput, per-round throughput, CPU, dropped, one ingest run
    }
}
