using Grpc.Core;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Testing;
using Serving.Worker.PredictionLogs;
using Xunit.Abstractions;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>
/// The worker's log stream when the monitor goes away or can't archive, and comes back: predictions never notice,
/// losses are counted.
/// </summary>
public sealed class SidecarOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SidecarStoppedUnderLoad_PredictionsSucceed_DropsCounted_RestartOnSamePortResumesByItself()
    {
        var drift = await DriftServer.StartAsync();
        var port = drift.GrpcPort;
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:QueueCapacity"] = "256",
            ["Serving:Worker:PredictionLogs:BatchSize"] = "64",
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.010",
            ["Serving:Worker:PredictionLogs:ReconnectBackoffMin"] = "00:00:00.020",
            ["Serving:Worker:PredictionLogs:ReconnectBackoffMax"] = "00:00:00.200",
        });
        var stats = worker.Service<PredictionLogStats>();
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{worker.Listeners.MetricsPort}") };
        var droppedSeriesBefore = await DroppedQueueFullAsync(metrics);
        var rows = ReferenceRows.Load("tabular", "1");
        using var stopLoad = new CancellationTokenSource();
        var load = RunLoadAsync(worker, rows, stopLoad.Token);
        DriftServer? restarted = null;

        try
        {
            await Eventually.TrueAsync(() => drift.Monitor.Archived > 0 && stats.IsConnected, "records reaching the first monitor");
            await drift.DisposeAsync();

            // The sidecar is gone: predictions go on, the queue fills, and the overflow is counted.
            var okBefore = load.Succeeded;
            await Eventually.TrueAsync(() => stats.DroppedQueueFullCount > 0 && load.Succeeded > okBefore + 20, "dropped records while predictions keep succeeding");
            Assert.False(stats.IsConnected);
            var ackedWhileDown = stats.Acked;

            restarted = await DriftServer.StartAsync(grpcPort: port);
            await Eventually.TrueAsync(() => restarted.Monitor.Archived > 0 && stats.Acked > ackedWhileDown && stats.IsConnected, "the stream resuming on the restarted monitor");
            await stopLoad.CancelAsync();
            await load.Task;

            // Every queued record ends up acknowledged, refused or counted lost: none silently.
            await Eventually.TrueAsync(() => stats.Enqueued == stats.Acked + stats.Rejected + stats.Lost, "every queued record accounted for");
        }
        finally
        {
            await stopLoad.CancelAsync();
            await load.Task;
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
        }

        Assert.Equal(0, load.Failed);
        Assert.True(stats.Reconnects >= 1, $"reconnects {stats.Reconnects}");

        // The load has stopped, so the drops are final; the worker's /metrics shows every one of them.
        Assert.Equal(droppedSeriesBefore + stats.DroppedQueueFullCount, await DroppedQueueFullAsync(metrics));
        output.WriteLine($"predictions ok {load.Succeeded}; enqueued {stats.Enqueued}, dropped {stats.DroppedQueueFullCount}, sent {stats.Sent}, resent {stats.Resent}, acked {stats.Acked}, lost {stats.Lost}, reconnects {stats.Reconnects}");
    }

    [Fact]
    public async Task WorkerShutdown_FlushesQueuedRecordsToTheMonitor()
    {
        await using var drift = await DriftServer.StartAsync();
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:BatchSize"] = "1000",
            // Nothing leaves on its own for a minute: only the shutdown flush can deliver these.
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:01:00",
            ["Serving:Worker:PredictionLogs:ShutdownFlushTimeout"] = "00:00:10",
        });
        var stats = worker.Service<PredictionLogStats>();
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(11);
        for (var i = 0; i < 5; i++)
        {
            await worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows.Draw(random, 20)));
        }

        Assert.Equal(100, stats.Enqueued);
        Assert.Equal(0, drift.Monitor.Archived);

        await worker.DisposeAsync();

        Assert.Equal(100, stats.Acked);
        Assert.Equal(0, stats.Unsent);
        Assert.Equal(100, drift.Monitor.Archived);
    }

    /// <summary>
    /// The monitor's archive can't be written for a while (its folder replaced by a file, so every write fails as on a
    /// full disk). The monitor ends each stream saying nothing unacknowledged is archived, and the worker holds those
    /// records until the archive works. Before, a batch refused twice was counted lost: every record of the outage.
    /// </summary>
    [Fact]
    public async Task ArchiveUnwritableForAWhile_WorkerHoldsTheRecords_ArchivedOnceItWorks_NoneLost()
    {
        await using var drift = await DriftServer.StartAsync();
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:BatchSize"] = "20",
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.010",
            ["Serving:Worker:PredictionLogs:ReconnectBackoffMin"] = "00:00:00.020",
            ["Serving:Worker:PredictionLogs:ReconnectBackoffMax"] = "00:00:00.100",
        });
        var stats = worker.Service<PredictionLogStats>();
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(5);
        await worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows.Draw(random, 20)));
        await Eventually.TrueAsync(() => stats.Acked == 20, "the first 20 records archived");

        using (drift.BlockArchive())
        {
            for (var i = 0; i < 3; i++)
            {
                await worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows.Draw(random, 20)));
            }

            var reconnects = stats.Reconnects;
            await Eventually.TrueAsync(() => stats.Reconnects >= reconnects + 4, "the worker trying a few more streams while the archive fails");
            Assert.Equal(0, stats.Lost);
            Assert.Equal(20, stats.Acked);
        }

        await Eventually.TrueAsync(() => stats.Acked == 80, "the held records archived once the archive works");
        Assert.Equal(0, stats.Lost);
        Assert.Equal(80, drift.Monitor.Archived);
        Assert.Equal(80, drift.ArchivedLines().Count);
    }

    private static LoadRun RunLoadAsync(WorkerServer worker, ReferenceRows rows, CancellationToken cancellationToken)
    {
        var run = new LoadRun();
        run.Task = Task.Run(async () =>
        {
            var random = new Random(99);
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows.Draw(random, 8)), cancellationToken: CancellationToken.None);
                    Interlocked.Increment(ref run.SucceededCount);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref run.FailedCount);
                }
            }
        });
        return run;
    }

    private sealed class LoadRun
    {
        public long SucceededCount;
        public long FailedCount;

        public Task Task { get; set; } = Task.CompletedTask;

        public long Succeeded => Interlocked.Read(ref SucceededCount);

        public long Failed => Interlocked.Read(ref FailedCount);
    }

    // The counter is process-wide (earlier tests may have raised it), hence the difference.
    private static async Task<double> DroppedQueueFullAsync(HttpClient metrics) =>
        MetricsExposition.Value(await metrics.GetStringAsync("/metrics"), "serving_prediction_logs_dropped_total{reason=\"queue_full\"}");
}
