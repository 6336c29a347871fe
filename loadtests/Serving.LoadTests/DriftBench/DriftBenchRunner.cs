using Grpc.Core;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// Runs the drift bench in one process: (a) two workers, logging off and logging every prediction to a sidecar,
/// loaded in alternation; (b) a fresh sidecar per ingest run, fed over its real gRPC stream as fast as it acks.
/// </summary>
internal sealed class DriftBenchRunner(DriftBenchOptions options, DriftBenchProgress progress)
{
    private const int DistinctBatches = 32;

    private readonly List<WorkerCell> _cells = [];
    private readonly List<IngestResult> _ingest = [];

    /// <summary>Runs everything; on cancellation returns what was measured so far.</summary>
    public async Task<DriftBenchReport> RunAsync(string repositoryRoot, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var model = BenchModel.Locate(options.Model, repositoryRoot);
        string? stoppedEarly = null;
        var batching = model.Batching(new BatchingOverrides());
        using (var repository = BenchRepository.Create(model, batching))
        {
            try
            {
                if (options.RunWorker)
                {
                    await RunWorkersAsync(model, repository, cancellationToken);
                }

                if (options.RunIngest)
                {
                    await RunIngestAsync(model, repository, cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
                stoppedEarly = "cancelled (Ctrl+C or the bench's time bound) before the end; the figures below are what was measured";
            }
        }

        return new DriftBenchReport
        {
            StartedAt = started,
            TotalSeconds = Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1),
            Machine = BenchMachine.Current(),
            Model = model.Name,
            ModelVersion = model.VersionText,
            GrpcClient = options.GrpcClient.ToName(),
            Concurrency = options.Concurrency,
            DurationSeconds = options.Duration.TotalSeconds,
            WarmupSeconds = options.Warmup.TotalSeconds,
            ServerWarmupSeconds = options.ServerWarmup.TotalSeconds,
            Rounds = options.Rounds,
            WorkerBatching = batching.Describe(),
            WorkerCells = _cells,
            Ingest = _ingest,
            Targets = DriftBenchTargets.Compute(model.Name, _cells, _ingest),
            StoppedEarly = stoppedEarly,
        };
    }

    private async Task RunWorkersAsync(BenchModel model, BenchRepository repository, CancellationToken cancellationToken)
    {
        progress.Step($"{model.Name}: starting a drift sidecar (archive on, fsync per batch) and two workers, logging off and logging 100% to the sidecar");
        var payload = BenchPayload.Create(model);
        await using var sidecar = await DriftSidecar.StartAsync(repository.Root, flushToDisk: true, cancellationToken);
        await using var off = await LoggingWorker.StartAsync(repository.Root, logsEndpoint: null, cancellationToken);
        await using var on = await LoggingWorker.StartAsync(repository.Root, sidecar.Endpoint, cancellationToken);
        await WarmUpAsync(off, payload, cancellationToken);
        await WarmUpAsync(on, payload, cancellationToken);
        // ABBA: odd rounds run off then on, even rounds on then off, so a drift in the process's speed over the
        // run (it does drift: tiering, the thread pool's hill climbing) falls on both arms alike.
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var worker in CellOrder(round, off, on))
            {
                _cells.Add(await RunCellAsync(worker, model.Name, round, payload, cancellationToken));
            }
        }
    }

    /// <summary>How long a logging cell's records may take to be acknowledged once its load has stopped.</summary>
    internal static readonly TimeSpan LogSettleTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// True when every record the worker queued has an outcome: acknowledged, refused, lost with two broken
    /// streams, or unsent at shutdown. Nothing of the cell is then still in the queue or on the wire.
    /// </summary>
    internal static bool LogsSettled(string metrics)
    {
        double Total(string metric) => PrometheusCounters.Sum(metrics, metric);
        var ended = Total("serving_prediction_logs_acked_total") + Total("serving_prediction_logs_rejected_total")
            + Total("serving_prediction_logs_lost_total") + Total("serving_prediction_logs_unsent_total");
        return ended >= Total("serving_prediction_logs_enqueued_total");
    }

    // A scrape taken once every record queued so far has an outcome (or after LogSettleTimeout). Taken before and
    // after each logging cell, it makes the cell's log counts cover exactly its own records, whatever the disk's
    // speed, and keeps one cell's tail out of the next cell.
    private async Task<string> SettledScrapeAsync(LoggingWorker worker, CancellationToken cancellationToken)
    {
        var started = Timestamps.Now;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (true)
        {
            var metrics = await worker.ScrapeAsync(cancellationToken);
            if (LogsSettled(metrics))
            {
                return metrics;
            }

            if (Timestamps.ToSeconds(Timestamps.Now - started) >= LogSettleTimeout.TotalSeconds)
            {
                progress.Step($"    the worker's logged records were not all acknowledged {LogSettleTimeout.TotalSeconds:0} s after the load stopped; the cell's log counts are as they stood then");
                return metrics;
            }

            await timer.WaitForNextTickAsync(cancellationToken);
        }
    }

    /// <summary>The arms' order in a round: off first in odd rounds, on first in even ones.</summary>
    internal static T[] CellOrder<T>(int round, T off, T on) => round % 2 == 1 ? [off, on] : [on, off];

    private async Task WarmUpAsync(LoggingWorker worker, InferPayload payload, CancellationToken cancellationToken)
    {
        if (options.ServerWarmup <= TimeSpan.Zero)
        {
            return;
        }

        progress.Step($"    warming the worker with logging {(worker.Logging ? "on" : "off")} up: {Format.Fixed(options.ServerWarmup.TotalSeconds, 0)} s at concurrency {options.Concurrency}, not recorded");
        var profile = Closed() with { Warmup = options.ServerWarmup, Duration = TimeSpan.FromMilliseconds(1) };
        try
        {
            await LoadRunner.RunAsync(Target(worker, payload), payload, profile, cancellationToken);
        }
        catch (Exception e) when (e is LoadTestException or RpcException or HttpRequestException or IOException)
        {
            progress.Step($"    warm-up failed: {e.Message}");
        }
    }

    private async Task<WorkerCell> RunCellAsync(LoggingWorker worker, string model, int round, InferPayload payload, CancellationToken cancellationToken)
    {
        var label = $"round {round}/{options.Rounds} · logging {(worker.Logging ? "100% → sidecar" : "off")} · closed c={options.Concurrency}";
        progress.Step($"cell: {label} ...");
        WorkerCell cell;
        try
        {
            var before = worker.Logging ? await SettledScrapeAsync(worker, cancellationToken) : await worker.ScrapeAsync(cancellationToken);
            var report = await LoadRunner.RunAsync(Target(worker, payload), payload, Closed(), cancellationToken, progress);
            var after = worker.Logging ? await SettledScrapeAsync(worker, cancellationToken) : await worker.ScrapeAsync(cancellationToken);
            var batching = BatchingStats.Between(before, after, model);
            cell = new WorkerCell(worker.Logging, round, report, null, worker.Logging ? LoggingStats.Between(before, after) : null, batching);
            progress.Step($"    {Format.Int(report.RequestsPerSecond)} req/s, p99 {Format.Micros(report.Latency.P99Micros)}, {Format.Int(report.Failed)} failed, "
                + $"cores {Format.Fixed(report.ProcessCpuCores, 2)} (others {(report.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")}), GC paused {report.Gc}, mean batch {Format.Fixed(batching.MeanBatchSize, 2)}"
                + (cell.Logs is { } l ? $", logs: {Format.Int(l.Enqueued)} enqueued, {Format.Int(l.Dropped)} dropped, {Format.Int(l.Acked)} acked" : string.Empty));
        }
        catch (Exception e) when (e is LoadTestException or RpcException or HttpRequestException or IOException)
        {
            cell = new WorkerCell(worker.Logging, round, null, e.Message, null);
            progress.Step($"    did not run: {e.Message}");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return cell;
    }

    private async Task RunIngestAsync(BenchModel model, BenchRepository repository, CancellationToken cancellationToken)
    {
        var bodies = IngestRecords.Batches(model, options.BatchSize, DistinctBatches);
        List<(bool FlushToDisk, string Label)> runs = [(true, DriftBenchTargets.DefaultArchiveLabel)];
        if (options.OsFlushRun)
        {
            runs.Add((false, DriftBenchTargets.OsFlushLabel));
        }

        foreach (var (flushToDisk, label) in runs)
        {
            progress.Step($"ingest: {label}: a fresh sidecar, {options.Streams} stream(s) × {options.MaxUnackedBatches} batches of {options.BatchSize} in flight, "
                + $"{Format.Fixed(options.IngestWarmup.TotalSeconds, 0)} s warmup + {Format.Fixed(options.IngestDuration.TotalSeconds, 0)} s measured"
                + (options.IngestRecords is { } n ? $" (or {Format.Int(n)} records)" : string.Empty));
            IngestResult result;
            await using (var sidecar = await DriftSidecar.StartAsync(repository.Root, flushToDisk, cancellationToken))
            {
                result = await IngestLoad.RunAsync(sidecar, label, bodies, options, progress, cancellationToken);
            }

            _ingest.Add(result);
            progress.Step($"    {Format.Int(result.RecordsPerSecond)} records/s ({Format.Int(result.MeasuredRecords)} in {Format.Fixed(result.MeasuredSeconds, 1)} s), "
                + $"ack p99 {Format.Micros(result.AckLatency.P99Micros)}, acked {Format.Int(result.RecordsAcked)}, archive lines {Format.Int(result.Archive?.Lines ?? 0)}, "
                + $"{Format.Fixed(result.CpuMicrosPerRecord, 1)} µs CPU per record, cores {Format.Fixed(result.ProcessCpuCores, 2)} (others {(result.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")})"
                + (result.Error is { } e ? $"; ended early: {e}" : string.Empty));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private LoadTarget Target(LoggingWorker worker, InferPayload payload) =>
        new(worker.GrpcAddress, TargetProtocol.Grpc, payload.Model, payload.ModelVersion, GrpcClient: options.GrpcClient);

    private LoadProfile Closed() => new()
    {
        Mode = LoadMode.Closed,
        Concurrency = options.Concurrency,
        Duration = options.Duration,
        MaxRequests = options.CellRequests,
        Warmup = options.Warmup,
    };
}
