using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Testing;
using Serving.Worker.PredictionLogs;
using Xunit.Abstractions;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>
/// A real worker under steady predict load, shipping its prediction logs to a sidecar that misbehaves at the transport
/// level (<see cref="MisbehavingSidecar"/>): it never acknowledges, stalls, acknowledges out of order, twice, unknown
/// sequences or with counts that lie, ends the stream with a gRPC error, resets it, closes the connection, answers HTTP
/// errors or garbage, never reads, or never speaks HTTP/2. Each time: every predict call succeeds; the worker retries
/// with backoff, not in a loop; at most a few warnings and no error; the batches it holds stay within the window; and
/// once a good monitor listens on the port (or the worker stops) every queued record is accounted for exactly once.
/// The load is seeded; MISBEHAVING_SIDECAR_SECONDS (default 1.5) is how long each sidecar is watched misbehaving, for a longer run.
/// </summary>
public sealed class MisbehavingSidecarTests(ITestOutputHelper output)
{
    private static readonly TimeSpan BackoffMin = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("MISBEHAVING_SIDECAR_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : 1.5);
    private const int MaxUnacked = 4;

    // Sidecars whose streams break (or time out) again and again; the others keep one stream.
    private static readonly Dictionary<string, (SidecarScript? Script, bool Breaks)> Cases = new()
    {
        ["never_acks"] = (new SidecarScript(AcksPerStream: 0), true),
        ["acks_three_then_stalls"] = (new SidecarScript(AcksPerStream: 3), true),
        ["acks_out_of_order"] = (new SidecarScript(Acks: SidecarAcks.OutOfOrder), false),
        ["acks_twice"] = (new SidecarScript(Acks: SidecarAcks.Twice), false),
        ["acks_twice_then_unavailable"] = (new SidecarScript(AcksPerStream: 3, Acks: SidecarAcks.Twice, Then: SidecarEnd.Status), true),
        ["acks_unknown_sequences"] = (new SidecarScript(Acks: SidecarAcks.WithUnknownSequences), false),
        ["acks_negative_counts"] = (new SidecarScript(Acks: SidecarAcks.NegativeCounts), false),
        ["acks_inflated_counts"] = (new SidecarScript(Acks: SidecarAcks.InflatedCounts), false),
        ["acks_zero_counts"] = (new SidecarScript(Acks: SidecarAcks.ZeroCounts), false),
        ["unavailable_at_once"] = (new SidecarScript(Answer: SidecarAnswer.StatusAtOnce, Status: 14), true),
        ["resource_exhausted_at_once"] = (new SidecarScript(Answer: SidecarAnswer.StatusAtOnce, Status: 8), true),
        ["unauthenticated_at_once"] = (new SidecarScript(Answer: SidecarAnswer.StatusAtOnce, Status: 16), true),
        ["invalid_argument_at_once"] = (new SidecarScript(Answer: SidecarAnswer.StatusAtOnce, Status: 3), true),
        ["internal_at_once"] = (new SidecarScript(Answer: SidecarAnswer.StatusAtOnce, Status: 13), true),
        ["unavailable_after_three"] = (new SidecarScript(AcksPerStream: 3, Then: SidecarEnd.Status, Status: 14), true),
        ["resource_exhausted_after_three"] = (new SidecarScript(AcksPerStream: 3, Then: SidecarEnd.Status, Status: 8), true),
        ["invalid_argument_after_three"] = (new SidecarScript(AcksPerStream: 3, Then: SidecarEnd.Status, Status: 3), true),
        ["internal_after_one"] = (new SidecarScript(AcksPerStream: 1, Then: SidecarEnd.Status, Status: 13), true),
        ["unauthenticated_after_one"] = (new SidecarScript(AcksPerStream: 1, Then: SidecarEnd.Status, Status: 16), true),
        ["resets_after_three"] = (new SidecarScript(AcksPerStream: 3, Then: SidecarEnd.ResetStream), true),
        ["resets_at_once"] = (new SidecarScript(AcksPerStream: 0, Then: SidecarEnd.ResetStream), true),
        ["closes_connection_after_three"] = (new SidecarScript(AcksPerStream: 3, Then: SidecarEnd.CloseConnection), true),
        ["garbage_ack_after_three"] = (new SidecarScript(AcksPerStream: 3, Then: SidecarEnd.GarbageFrame), true),
        ["http_404"] = (new SidecarScript(Answer: SidecarAnswer.Http404), true),
        ["http_500"] = (new SidecarScript(Answer: SidecarAnswer.Http500), true),
        ["text_plain"] = (new SidecarScript(Answer: SidecarAnswer.TextPlain), true),
        ["never_reads"] = (new SidecarScript(Answer: SidecarAnswer.NeverRead), true),
        ["tcp_never_speaks"] = (null, true),

        // A window wider than the flow-control window: the worker's write waits on the sidecar, not on acks.
        ["never_reads_wide_window"] = (new SidecarScript(Answer: SidecarAnswer.NeverRead), true),
        ["tcp_never_speaks_wide_window"] = (null, true),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    public static TheoryData<string> StallingCaseNames() =>
        ["never_acks", "acks_three_then_stalls", "never_reads", "tcp_never_speaks", "never_reads_wide_window", "tcp_never_speaks_wide_window"];

    private static int MaxUnackedOf(string name) => name.EndsWith("_wide_window", StringComparison.Ordinal) ? 256 : MaxUnacked;

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Misbehaves_UnderLoad_PredictionsUnaffected_BackoffNotALoop_ThenAGoodMonitorOnThePort_EveryRecordOnce(string name)
    {
        var (script, breaks) = Cases[name];
        await using var unobserved = new UnobservedTaskExceptions();
        var sidecar = await StartSidecarAsync(script);
        var port = sidecar.Port;
        var logs = new CapturingLoggerProvider();
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await StartWorkerAsync(repository.Path, sidecar.Endpoint, logs, MaxUnackedOf(name));
        var stats = worker.Service<PredictionLogStats>();
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{worker.Listeners.MetricsPort}") };
        using var stopLoad = new CancellationTokenSource();
        var load = PredictLoad.Start(worker, stopLoad.Token);
        DriftServer? good = null;
        try
        {
            await Eventually.TrueAsync(() => load.Succeeded > 50 && stats.Enqueued > 0, "predictions served and records queued");
            if (breaks)
            {
                // Not a hot loop: over a while, no more attempts than the shortest backoff allows (jitter takes 20 % off).
                await Eventually.TrueAsync(() => stats.Reconnects >= 3, "the worker retrying the misbehaving sidecar", TimeSpan.FromSeconds(30));
                var streams = sidecar.Streams;
                var reconnects = stats.Reconnects;
                var watch = Stopwatch.StartNew();
                await Eventually.TrueAsync(() => watch.Elapsed > Watch, "a while of retries", Watch + TimeSpan.FromSeconds(20));
                var bound = (watch.Elapsed / (BackoffMin * 0.8)) + 2;
                Assert.True(stats.Reconnects - reconnects <= bound, $"{stats.Reconnects - reconnects} reconnects in {watch.Elapsed}: backoff allows {bound:0}");
                Assert.True(sidecar.Streams - streams <= bound, $"{sidecar.Streams - streams} streams opened in {watch.Elapsed}: backoff allows {bound:0}");
            }
            else
            {
                await Eventually.TrueAsync(() => sidecar.AcknowledgedRecords > 200, "the sidecar acknowledging batches");
                var watch = Stopwatch.StartNew();
                await Eventually.TrueAsync(() => watch.Elapsed > Watch, "a while of acks", Watch + TimeSpan.FromSeconds(20));
            }

            var served = load.Succeeded;
            await Eventually.TrueAsync(() => load.Succeeded > served + 50, "predictions served while the sidecar misbehaves");
            Assert.True(await UnackedBatchesAsync(metrics) <= MaxUnackedOf(name), "the batches held unacknowledged stay within the window");

            // A good monitor takes the port: the worker finds it by itself and delivers.
            await sidecar.DisposeAsync();
            var fromSidecar = sidecar.AcknowledgedRecords;
            var countedFromSidecar = stats.Acked + stats.Rejected;
            good = await DriftServer.StartAsync(grpcPort: port);
            var monitor = good;
            await Eventually.TrueAsync(() => monitor.Monitor.Archived > 0 && stats.IsConnected, "the stream resuming on a good monitor", TimeSpan.FromSeconds(30));
            await stopLoad.CancelAsync();
            await load.Task;

            // Every queued record once: acknowledged (by the sidecar or the monitor), refused, or counted lost.
            await Eventually.TrueAsync(() => stats.Enqueued == stats.Acked + stats.Rejected + stats.Lost, "every queued record accounted for", TimeSpan.FromSeconds(30));
            output.WriteLine($"{name}: predictions ok {load.Succeeded}; enqueued {stats.Enqueued}, dropped {stats.DroppedQueueFullCount}, sent {stats.Sent}, resent {stats.Resent}, acked {stats.Acked}, rejected {stats.Rejected}, lost {stats.Lost}, reconnects {stats.Reconnects}; sidecar streams {sidecar.Streams}, acknowledged {fromSidecar}; monitor archived {monitor.Monitor.Archived}");

            // Each batch's records counted once, by the batch: no more than the sidecar acknowledged (an ack it wrote just
            // before it reset the stream or closed the connection may never arrive), nor than the good monitor archived (a
            // batch sent on two streams that broke before their acks is counted lost, though the archive may hold it).
            Assert.True(countedFromSidecar <= fromSidecar, $"{countedFromSidecar} records counted acknowledged by a sidecar that acknowledged {fromSidecar}");
            Assert.True(stats.Acked + stats.Rejected - countedFromSidecar <= monitor.Monitor.Archived, $"{stats.Acked + stats.Rejected - countedFromSidecar} records counted acknowledged by a monitor that archived {monitor.Monitor.Archived}");
        }
        finally
        {
            await stopLoad.CancelAsync();
            await load.Task;
            await sidecar.DisposeAsync();
            if (good is not null)
            {
                await good.DisposeAsync();
            }
        }

        Assert.Equal(0, load.Failed);
        AssertQuietLogs(logs, name);
        unobserved.AssertNone();
    }

    [Theory]
    [MemberData(nameof(StallingCaseNames))]
    public async Task WorkerStopsWhileTheSidecarStalls_WithinTheFlushBound_WhatWasNotDeliveredIsCounted(string name)
    {
        var (script, _) = Cases[name];
        await using var unobserved = new UnobservedTaskExceptions();
        await using var sidecar = await StartSidecarAsync(script);
        var logs = new CapturingLoggerProvider();
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var worker = await StartWorkerAsync(repository.Path, sidecar.Endpoint, logs, MaxUnackedOf(name));
        var stats = worker.Service<PredictionLogStats>();
        using var stopLoad = new CancellationTokenSource();
        var load = PredictLoad.Start(worker, stopLoad.Token);
        await Eventually.TrueAsync(() => load.Succeeded > 100 && stats.Enqueued > 200, "predictions served and records queued");
        await stopLoad.CancelAsync();
        await load.Task;

        // The flush is bounded by ShutdownFlushTimeout (1 s here); the wait's bound only turns a hang into a failure.
        await worker.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        output.WriteLine($"{name}: enqueued {stats.Enqueued}, acked {stats.Acked}, rejected {stats.Rejected}, lost {stats.Lost}, unsent {stats.Unsent}; sidecar acknowledged {sidecar.AcknowledgedRecords}");
        Assert.Equal(stats.Enqueued, stats.Acked + stats.Rejected + stats.Lost + stats.Unsent);
        Assert.True(stats.Unsent + stats.Lost > 0, "records the stalled sidecar never acknowledged are counted");
        Assert.True(stats.Acked + stats.Rejected <= sidecar.AcknowledgedRecords, $"{stats.Acked + stats.Rejected} records counted acknowledged by a sidecar that acknowledged {sidecar.AcknowledgedRecords}");
        Assert.Equal(0, load.Failed);
        AssertQuietLogs(logs, name);
        unobserved.AssertNone();
    }

    private static async Task<MisbehavingSidecar> StartSidecarAsync(SidecarScript? script) =>
        script is null ? await MisbehavingSidecar.StartSilentAsync() : await MisbehavingSidecar.StartAsync(script);

    private static Task<WorkerServer> StartWorkerAsync(string repository, string endpoint, CapturingLoggerProvider logs, int maxUnacked) =>
        WorkerServer.StartAsync(
            repository,
            new Dictionary<string, string?>
            {
                ["Serving:Worker:PredictionLogs:Endpoint"] = endpoint,
                ["Serving:Worker:PredictionLogs:QueueCapacity"] = "512",
                ["Serving:Worker:PredictionLogs:BatchSize"] = "16",
                ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.010",
                ["Serving:Worker:PredictionLogs:MaxUnackedBatches"] = maxUnacked.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Serving:Worker:PredictionLogs:AckTimeout"] = "00:00:00.500",
                ["Serving:Worker:PredictionLogs:ReconnectBackoffMin"] = "00:00:00.050",
                ["Serving:Worker:PredictionLogs:ReconnectBackoffMax"] = "00:00:00.300",
                ["Serving:Worker:PredictionLogs:ShutdownFlushTimeout"] = "00:00:01",
            },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));

    // The docs promise a warning when the stream breaks (at most every 30 s, Debug in between, also for a sidecar that takes
    // a few batches on every stream), one for records lost per break at most every 30 s, one for acks that miscount, one for
    // what the shutdown could not deliver; a refused token is one error line naming the setting. None per batch or stream.
    private void AssertQuietLogs(CapturingLoggerProvider logs, string name)
    {
        var entries = logs.Entries.Where(e => e.Level >= LogLevel.Warning).ToList();
        output.WriteLine($"{name}: {entries.Count} warning or error lines");
        foreach (var entry in entries.Take(20))
        {
            output.WriteLine($"{entry.Level} {entry.Category}: {entry.Message} {entry.Exception}");
        }

        var errors = entries.Where(e => e.Level >= LogLevel.Error && !(name.StartsWith("unauthenticated", StringComparison.Ordinal) && e.Message.Contains("UNAUTHENTICATED", StringComparison.Ordinal))).ToList();
        Assert.True(errors.Count == 0, $"error lines: {string.Join(" | ", errors.Select(e => $"{e.Message} {e.Exception}"))}");
        Assert.True(entries.Count(e => e.Level >= LogLevel.Error) <= 1, "at most one error line (a refused token)");
        // (A longer run may see the 30 s gates open again: two more lines each time.)
        var bound = 5 + (2 * (int)(Watch / TimeSpan.FromSeconds(30)));
        Assert.True(entries.Count <= bound, $"{entries.Count} warning or error lines, not a few (at most {bound})");
    }

    private static async Task<double> UnackedBatchesAsync(HttpClient metrics) =>
        MetricsExposition.Value(await metrics.GetStringAsync("/metrics"), "serving_prediction_logs_unacked_batches");

    /// <summary>One caller sending predictions back to back, each bounded by a deadline so a hang is a failure.</summary>
    private sealed class PredictLoad
    {
        private long _succeeded;
        private long _failed;

        public Task Task { get; private set; } = Task.CompletedTask;

        public long Succeeded => Interlocked.Read(ref _succeeded);

        public long Failed => Interlocked.Read(ref _failed);

        public static PredictLoad Start(WorkerServer worker, CancellationToken stop)
        {
            var load = new PredictLoad();
            var rows = ReferenceRows.Load("tabular", "1");
            load.Task = Task.Run(async () =>
            {
                var random = new Random(17);
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await worker.Grpc.ModelInferAsync(ReferenceRows.Request("tabular", "1", "input", rows.Draw(random, 8)), deadline: DateTime.UtcNow.AddSeconds(20));
                        Interlocked.Increment(ref load._succeeded);
                    }
                    catch (RpcException)
                    {
                        Interlocked.Increment(ref load._failed);
                    }
                }
            });
            return load;
        }
    }

    /// <summary>Task exceptions of the prediction-log code nobody observed, found by the finalizer after a full collection.</summary>
    private sealed class UnobservedTaskExceptions : IAsyncDisposable
    {
        private readonly ConcurrentQueue<Exception> _seen = new();

        public UnobservedTaskExceptions() => TaskScheduler.UnobservedTaskException += OnUnobserved;

        public void AssertNone()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var ours = _seen.Where(e => e.ToString().Contains("PredictionLog", StringComparison.Ordinal)).ToList();
            Assert.True(ours.Count == 0, $"unobserved: {string.Join(" | ", ours)}");
        }

        public ValueTask DisposeAsync()
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
            return ValueTask.CompletedTask;
        }

        private void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => _seen.Enqueue(e.Exception);
    }
}
