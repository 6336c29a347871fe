using Grpc.Core;
using Serving.LoadTests.Baselines.Echo;
using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Baselines.Naive;
using Serving.LoadTests.Baselines.RawOrt;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Bench;

/// <summary>
/// Runs the bench in one process so its ratios are fair: per model, raw ONNX Runtime, then each server started
/// in-process on 127.0.0.1:0, loaded at every concurrency and stopped before the next starts.
/// </summary>
internal sealed class BenchRunner(BenchOptions options, BenchProgress progress)
{
    private readonly List<BenchModelResult> _models = [];
    private GeneratorCheckResult? _check;

    /// <summary>Runs everything; on cancellation returns what was measured so far.</summary>
    public async Task<BenchReport> RunAsync(string repositoryRoot, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var models = options.Models.Select(m => BenchModel.Locate(m, repositoryRoot)).ToList();
        string? stoppedEarly = null;
        try
        {
            foreach (var model in models)
            {
                await RunModelAsync(model, first: _models.Count == 0, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            stoppedEarly = "cancelled (Ctrl+C or the bench's time bound) before the end; the figures below are what was measured";
        }

        var reference = BenchRatios.ReferenceConcurrency(options.Concurrencies);
        return new BenchReport
        {
            StartedAt = started,
            TotalSeconds = Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1),
            EstimatedSeconds = BenchPlan.Estimate(options).TotalSeconds,
            Machine = BenchMachine.Current(),
            GrpcClient = options.GrpcClient.ToName(),
            DurationSeconds = options.Duration.TotalSeconds,
            WarmupSeconds = options.Warmup.TotalSeconds,
            ServerWarmupSeconds = options.ServerWarmup.TotalSeconds,
            NoisyRetries = options.NoisyRetries,
            NoisyThresholdCores = options.NoisyThresholdCores,
            Concurrencies = options.Concurrencies,
            ReferenceConcurrency = reference,
            Batching = options.Batching,
            Models = _models,
            Ratios = _models.SelectMany(m => BenchRatios.Compute(m, reference, Environment.ProcessorCount)).ToList(),
            GeneratorCheck = _check,
            StoppedEarly = stoppedEarly,
        };
    }

    private async Task RunModelAsync(BenchModel model, bool first, CancellationToken cancellationToken)
    {
        var batching = model.Batching(options.Batching);
        using var repository = BenchRepository.Create(model, batching);
        var payload = BenchPayload.Create(model);
        var cells = new List<BenchCell>();
        RawOrtReport? raw = null;
        try
        {
            raw = await RunRawOrtAsync(model, batching, cancellationToken);
            if (options.Arms.Contains(BenchArm.WorkerBatching))
            {
                await RunWorkerAsync(model, repository, payload, batching: true, cells, cancellationToken);
            }

            if (options.Arms.Contains(BenchArm.WorkerUnbatched))
            {
                await RunWorkerAsync(model, repository, payload, batching: false, cells, cancellationToken);
            }

            if (options.Arms.Contains(BenchArm.Naive))
            {
                await RunNaiveAsync(model, repository, payload, cells, cancellationToken);
            }

            if (options.Arms.Contains(BenchArm.Echo))
            {
                await RunEchoAsync(payload, first, cells, cancellationToken);
            }

            if (options.RunsPaired)
            {
                await RunPairedAsync(model, repository, payload, cells, cancellationToken);
            }
        }
        finally
        {
            _models.Add(new BenchModelResult(model.Name, model.VersionText, GrpcPayloadEncoder.Encode(payload).Length, repository.ModelYaml, raw, cells, batching));
        }
    }

    /// <summary>
    /// Raw ORT at batch 1 and max batch in the worker's settings, one caller; at max batch with one caller per
    /// instance when there are several (the worker's runs at once); and at max batch with ORT's defaults when the
    /// worker's settings differ, so the ceiling the efficiency divides by is never below what an untuned session does.
    /// </summary>
    private async Task<RawOrtReport?> RunRawOrtAsync(BenchModel model, BatchingConfig batching, CancellationToken cancellationToken)
    {
        var max = batching.MaxBatchSize;
        List<RawOrtOptions> runs = [new(model.OnnxPath, [1, max], options.Duration, BenchPlan.RawOrtWarmup, batching.IntraOpThreads)];
        if (batching.Instances > 1)
        {
            runs.Add(new(model.OnnxPath, [max], options.Duration, BenchPlan.RawOrtWarmup, batching.IntraOpThreads, batching.Instances));
        }

        if (!batching.IsOrtDefault)
        {
            runs.Add(new(model.OnnxPath, [max], options.Duration, BenchPlan.RawOrtWarmup));
        }

        progress.Step($"{model.Name}: raw ONNX Runtime, {runs.Sum(r => r.Batches.Count)} measurements of {Format.Fixed(options.Duration.TotalSeconds, 0)} s "
            + $"(batch 1 and {max}; intra-op threads {RawOrtReport.Threads(batching.IntraOpThreads)}, instances {batching.Instances}; no server running)");
        try
        {
            var results = new List<RawOrtResult>();
            foreach (var run in runs)
            {
                results.AddRange((await Task.Run(() => RawOrtBenchmark.Run(run, cancellationToken), cancellationToken)).Results);
            }

            return new RawOrtReport(Path.GetFullPath(model.OnnxPath), batching.IntraOpThreads, results);
        }
        catch (LoadTestException e)
        {
            progress.Step($"{model.Name}: raw ONNX Runtime could not run: {e.Message}");
            return null;
        }
    }

    private async Task RunWorkerAsync(
        BenchModel model, BenchRepository repository, InferPayload payload, bool batching, List<BenchCell> cells, CancellationToken cancellationToken)
    {
        var arm = batching ? BenchArm.WorkerBatching : BenchArm.WorkerUnbatched;
        progress.Step($"{model.Name}: starting the worker, batching {(batching ? "on" : "off")}");
        var worker = await StartOrRecordAsync(arm, () => InProcessWorker.StartAsync(repository.Root, batching, cancellationToken), cells);
        if (worker is null)
        {
            return;
        }

        await using (worker)
        {
            await WarmUpAsync(worker.GrpcAddress, payload, cancellationToken);
            foreach (var concurrency in options.Concurrencies)
            {
                cells.Add(await RunCellAsync(arm, worker.GrpcAddress, payload, Closed(concurrency), batching ? worker : null, cancellationToken));
            }

            if (batching)
            {
                var peak = cells.Where(c => c.Arm == arm && c.Report is { Succeeded: > 0 }).Select(c => c.Report!.RequestsPerSecond).DefaultIfEmpty(0).Max();
                cells.Add(peak > 0
                    ? await RunCellAsync(arm, worker.GrpcAddress, payload, Open(Math.Round(peak / 2)), worker, cancellationToken)
                    : Failed(arm, "open", null, null, "no closed-model throughput to take half of"));
            }
            else
            {
                await RunOpenAtHalfPeakAsync(arm, worker.GrpcAddress, payload, cells, cancellationToken);
            }
        }

        Settle();
    }

    private async Task RunNaiveAsync(BenchModel model, BenchRepository repository, InferPayload payload, List<BenchCell> cells, CancellationToken cancellationToken)
    {
        progress.Step($"{model.Name}: starting the naive server");
        var server = await StartOrRecordAsync(
            BenchArm.Naive,
            () => NaiveServer.StartAsync(new NaiveServerOptions(Path.Combine(repository.Root, model.Name), BaselinePorts.Any, model.Name), cancellationToken),
            cells);
        if (server is null)
        {
            return;
        }

        await using var started = server;
        await WarmUpAsync(server.Http2Address, payload, cancellationToken);
        foreach (var concurrency in options.Concurrencies)
        {
            cells.Add(await RunCellAsync(BenchArm.Naive, server.Http2Address, payload, Closed(concurrency), null, cancellationToken));
        }

        await RunOpenAtHalfPeakAsync(BenchArm.Naive, server.Http2Address, payload, cells, cancellationToken);
        Settle();
    }

    private async Task RunEchoAsync(InferPayload payload, bool first, List<BenchCell> cells, CancellationToken cancellationToken)
    {
        progress.Step($"{payload.Model}: starting the echo server");
        var server = await StartOrRecordAsync(
            BenchArm.Echo, () => EchoServer.StartAsync(new EchoServerOptions(BaselinePorts.Any, BenchPayload.Features(payload)), cancellationToken), cells);
        if (server is null)
        {
            return;
        }

        await using var started = server;
        await WarmUpAsync(server.Http2Address, payload, cancellationToken);
        foreach (var concurrency in options.Concurrencies)
        {
            cells.Add(await RunCellAsync(BenchArm.Echo, server.Http2Address, payload, Closed(concurrency), null, cancellationToken));
        }

        // The RPC path's own p99 at the rate the batched worker was given, to read its p99 against.
        await RunOpenAtHalfPeakAsync(BenchArm.Echo, server.Http2Address, payload, cells, cancellationToken);

        if (first)
        {
            var concurrency = BenchRatios.ReferenceConcurrency(options.Concurrencies);
            progress.Step($"generator check on the echo server ({payload.Model} request, concurrency {concurrency}): our generator with each gRPC client, then h2load");
            _check = await GeneratorCheck.RunAsync(server.Http2Address, payload, concurrency, options, progress, cancellationToken);
        }

        Settle();
    }

    /// <summary>
    /// The paired efficiency check: the batched worker and the echo server run side by side and take turns at the
    /// reference concurrency, echo first in odd rounds and the worker first in even ones, so the machine's drift
    /// over the minutes between their main cells does not enter the serving efficiency.
    /// </summary>
    private async Task RunPairedAsync(BenchModel model, BenchRepository repository, InferPayload payload, List<BenchCell> cells, CancellationToken cancellationToken)
    {
        var concurrency = BenchRatios.ReferenceConcurrency(options.Concurrencies);
        progress.Step($"{model.Name}: paired efficiency check: the batched worker and the echo server side by side, taking turns at concurrency {concurrency}, {options.PairedRounds} round(s)");
        InProcessWorker? worker = null;
        BaselineServer? echo = null;
        try
        {
            worker = await InProcessWorker.StartAsync(repository.Root, batching: true, cancellationToken);
            echo = await EchoServer.StartAsync(new EchoServerOptions(BaselinePorts.Any, BenchPayload.Features(payload)), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            progress.Step($"    the paired check's servers did not start: {e.Message}");
            cells.Add(Failed(BenchArm.WorkerBatching, "paired", concurrency, null, $"the servers did not start: {e.Message}") with { Round = 1 });
        }

        await using (worker)
        await using (echo)
        {
            if (worker is null || echo is null)
            {
                return;
            }

            await WarmUpAsync(worker.GrpcAddress, payload, cancellationToken);
            await WarmUpAsync(echo.Http2Address, payload, cancellationToken);
            for (var round = 1; round <= options.PairedRounds; round++)
            {
                BenchArm[] order = round % 2 == 1 ? [BenchArm.Echo, BenchArm.WorkerBatching] : [BenchArm.WorkerBatching, BenchArm.Echo];
                foreach (var arm in order)
                {
                    var cell = arm == BenchArm.Echo
                        ? await RunCellAsync(arm, echo.Http2Address, payload, Closed(concurrency), null, cancellationToken)
                        : await RunCellAsync(arm, worker.GrpcAddress, payload, Closed(concurrency), worker, cancellationToken);
                    cells.Add(cell with { Mode = "paired", Round = round });
                }
            }
        }

        Settle();
    }

    /// <summary>The open model at the rate the batched worker was given (half its peak), so every server's p99 is read at the same load.</summary>
    private async Task RunOpenAtHalfPeakAsync(BenchArm arm, Uri address, InferPayload payload, List<BenchCell> cells, CancellationToken cancellationToken)
    {
        if (cells.FirstOrDefault(c => c.Arm == BenchArm.WorkerBatching && c.Mode == "open")?.Rate is { } rate)
        {
            cells.Add(await RunCellAsync(arm, address, payload, Open(rate), null, cancellationToken));
        }
    }

    /// <summary>The same unrecorded load on every server before its first cell, at the reference concurrency.</summary>
    private async Task WarmUpAsync(Uri address, InferPayload payload, CancellationToken cancellationToken)
    {
        if (options.ServerWarmup <= TimeSpan.Zero)
        {
            return;
        }

        var concurrency = BenchRatios.ReferenceConcurrency(options.Concurrencies);
        progress.Step($"    warming the server up: {Format.Fixed(options.ServerWarmup.TotalSeconds, 0)} s at concurrency {concurrency}, not recorded");
        var target = new LoadTarget(address, TargetProtocol.Grpc, payload.Model, payload.ModelVersion, GrpcClient: options.GrpcClient);
        var profile = Closed(concurrency) with { Warmup = options.ServerWarmup, Duration = TimeSpan.FromMilliseconds(1) };
        try
        {
            await LoadRunner.RunAsync(target, payload, profile, cancellationToken);
        }
        catch (Exception e) when (e is LoadTestException or RpcException or HttpRequestException or IOException)
        {
            // The first cell will fail the same way and say so in the report.
            progress.Step($"    warm-up failed: {e.Message}");
        }
    }

    private async Task<BenchCell> RunCellAsync(
        BenchArm arm, Uri address, InferPayload payload, LoadProfile profile, InProcessWorker? worker, CancellationToken cancellationToken)
    {
        var open = profile.Mode == LoadMode.Open;
        progress.CellStarted($"{payload.Model} · {arm.ToLabel()} · " + (open ? $"open model {Format.Int(profile.Rate)} req/s" : $"closed c={profile.Concurrency}"));
        var target = new LoadTarget(address, TargetProtocol.Grpc, payload.Model, payload.ModelVersion, GrpcClient: options.GrpcClient);
        var cell = await RunAttemptAsync(arm, target, payload, profile, worker, cancellationToken);
        for (var attempt = 2; attempt <= 1 + options.NoisyRetries && NoisyCellPolicy.IsNoisy(cell, options.NoisyThresholdCores); attempt++)
        {
            progress.Step($"    noisy: other processes used {Format.Fixed(cell.Report!.OtherCpuCores ?? 0, 2)} cores; running the cell again (attempt {attempt})");
            var again = await RunAttemptAsync(arm, target, payload, profile, worker, cancellationToken);
            cell = NoisyCellPolicy.Quieter(cell, again) with { Attempts = attempt };
        }

        progress.CellEnded(cell);
        cancellationToken.ThrowIfCancellationRequested();
        return cell;
    }

    private async Task<BenchCell> RunAttemptAsync(
        BenchArm arm, LoadTarget target, InferPayload payload, LoadProfile profile, InProcessWorker? worker, CancellationToken cancellationToken)
    {
        var open = profile.Mode == LoadMode.Open;
        try
        {
            var before = worker is null ? null : await worker.ScrapeAsync(cancellationToken);
            var report = await LoadRunner.RunAsync(target, payload, profile, cancellationToken, progress);
            var after = worker is null ? null : await worker.ScrapeAsync(CancellationToken.None);
            var batching = before is not null && after is not null ? BatchingStats.Between(before, after, payload.Model) : null;
            return new BenchCell(arm, open ? "open" : "closed", open ? null : profile.Concurrency, open ? profile.Rate : null, report, null, batching);
        }
        catch (Exception e) when (e is LoadTestException or RpcException or HttpRequestException or IOException)
        {
            return Failed(arm, open ? "open" : "closed", open ? null : profile.Concurrency, open ? profile.Rate : null, e.Message);
        }
    }

    /// <summary>Starts a server; when it cannot start, records a failed cell per concurrency and returns null.</summary>
    private async Task<T?> StartOrRecordAsync<T>(BenchArm arm, Func<Task<T>> start, List<BenchCell> cells)
        where T : class
    {
        try
        {
            return await start();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            progress.Step($"    {arm.ToLabel()} did not start: {e.Message}");
            cells.AddRange(options.Concurrencies.Select(c => Failed(arm, "closed", c, null, $"the server did not start: {e.Message}")));
            return null;
        }
    }

    private LoadProfile Closed(int concurrency) => new()
    {
        Mode = LoadMode.Closed,
        Concurrency = concurrency,
        Duration = options.Duration,
        Warmup = options.Warmup,
    };

    private LoadProfile Open(double rate) => new()
    {
        Mode = LoadMode.Open,
        Rate = Math.Max(1, rate),
        Duration = options.Duration,
        Warmup = options.Warmup,
        MaxInFlight = 1024,
    };

    private static BenchCell Failed(BenchArm arm, string mode, int? concurrency, double? rate, string error) =>
        new(arm, mode, concurrency, rate, null, error, null);

    // What one server left behind (buffers, pinned arrays) should not be collected while the next one is measured.
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
