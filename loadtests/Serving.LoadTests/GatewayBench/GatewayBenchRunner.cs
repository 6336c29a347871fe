using Grpc.Core;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.GatewayBench;

/// <summary>
/// Runs the gateway bench in one process: the worker, the gateway in front of it and nginx (a child process) in front
/// of the same worker all start first; each target is warmed up, then every (protocol, concurrency) group is measured
/// in rounds, each round one cell per target in turn, so a ratio divides cells of one round, seconds apart.
/// </summary>
internal sealed class GatewayBenchRunner(GatewayBenchOptions options, GatewayBenchProgress progress)
{
    private readonly List<GatewayBenchCell> _cells = [];
    private readonly Dictionary<ProxyTarget, TargetAddresses> _addresses = [];
    private readonly Dictionary<ProxyTarget, (string? Skipped, string? Error)> _unavailable = [];
    private NginxRun? _nginx;
    private string? _restToWorkers;

    /// <summary>Runs everything; on cancellation returns what was measured so far.</summary>
    public async Task<GatewayBenchReport> RunAsync(string repositoryRoot, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var model = BenchModel.Locate(options.Model, repositoryRoot);
        var nginxPath = options.Targets.Contains(ProxyTarget.Nginx) ? NginxBinary.Find(options.NginxPath, Environment.GetEnvironmentVariable("PATH")) : null;
        var batching = model.Batching(new BatchingOverrides());
        using var repository = BenchRepository.Create(model, batching);
        var payload = BenchPayload.Create(model);
        string? stoppedEarly = null;
        try
        {
            await RunTargetsAsync(model, batching, repository, payload, nginxPath, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            stoppedEarly = "cancelled (Ctrl+C or the run's time bound) before the end; the figures below are what was measured";
        }

        return new GatewayBenchReport
        {
            StartedAt = started,
            TotalSeconds = Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1),
            EstimatedSeconds = GatewayBenchPlan.Estimate(options).TotalSeconds,
            Machine = BenchMachine.Current(),
            Model = model.Name,
            ModelVersion = model.VersionText,
            ModelYaml = repository.ModelYaml,
            WorkerBatching = batching.Describe(),
            GrpcClient = options.GrpcClient.ToName(),
            GatewayRestToWorkers = _restToWorkers,
            DurationSeconds = options.Duration.TotalSeconds,
            WarmupSeconds = options.Warmup.TotalSeconds,
            TargetWarmupSeconds = options.TargetWarmup.TotalSeconds,
            Rounds = options.Rounds,
            Concurrencies = GatewayBenchOptions.Concurrencies,
            Nginx = _nginx,
            Cells = _cells,
            Checks = GatewayBenchChecks.Compute(_cells),
            StoppedEarly = stoppedEarly,
        };
    }

    private async Task RunTargetsAsync(BenchModel model, BatchingConfig batching, BenchRepository repository, InferPayload payload, string? nginxPath, CancellationToken cancellationToken)
    {
        progress.Step($"starting the worker ({model.Name} v{model.VersionText}, dynamic batching on, the model's own settings: {batching.Describe()})");
        await using var worker = await StartWorkerAsync(repository, cancellationToken);
        var direct = new TargetAddresses(worker.GrpcAddress, worker.RestAddress);
        _addresses[ProxyTarget.Direct] = direct;
        await using var gateway = options.Targets.Contains(ProxyTarget.Gateway) ? await StartGatewayAsync(direct, model.Name, cancellationToken) : null;
        await using var nginx = options.Targets.Contains(ProxyTarget.Nginx) ? await StartNginxAsync(nginxPath, direct, cancellationToken) : null;
        await WarmUpAsync(payload, cancellationToken);
        foreach (var protocol in options.Protocols)
        {
            foreach (var concurrency in GatewayBenchOptions.Concurrencies)
            {
                for (var round = 1; round <= options.Rounds; round++)
                {
                    foreach (var target in CellOrder(round, options.Targets))
                    {
                        _cells.Add(await RunCellAsync(target, protocol, concurrency, round, payload, cancellationToken));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The targets' order in a round: as given in odd rounds, reversed in even ones (direct, gateway, nginx, then
    /// nginx, gateway, direct, …), so a drift in the process's speed over a group (tiering, the thread pool's hill
    /// climbing, a neighbour) falls on every target alike instead of always on the last.
    /// </summary>
    internal static IReadOnlyList<ProxyTarget> CellOrder(int round, IReadOnlyList<ProxyTarget> targets) =>
        round % 2 == 1 ? targets : [.. targets.Reverse()];

    private static async Task<InProcessWorker> StartWorkerAsync(BenchRepository repository, CancellationToken cancellationToken)
    {
        try
        {
            return await InProcessWorker.StartAsync(repository.Root, batching: true, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not LoadTestException)
        {
            throw new LoadTestException($"the worker did not start, so nothing can be measured: {e.Message}", e);
        }
    }

    private async Task<InProcessGateway?> StartGatewayAsync(TargetAddresses worker, string model, CancellationToken cancellationToken)
    {
        progress.Step("starting the Serving gateway in front of the worker (waiting until it routes the model)");
        try
        {
            var gateway = await InProcessGateway.StartAsync(worker, model, options.RestToWorkers, cancellationToken);
            _addresses[ProxyTarget.Gateway] = gateway.Addresses;
            _restToWorkers = gateway.RestToWorkers.ToString();
            return gateway;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            progress.Step($"    the gateway did not start: {e.Message}");
            _unavailable[ProxyTarget.Gateway] = (null, $"the gateway did not start: {e.Message}");
            return null;
        }
    }

    private async Task<NginxProxy?> StartNginxAsync(string? path, TargetAddresses worker, CancellationToken cancellationToken)
    {
        if (path is null)
        {
            progress.Step($"{NginxBinary.InstallHint}; the nginx cells are skipped");
            _nginx = new NginxRun(null, options.NginxWorkers, null, NginxBinary.InstallHint, null);
            _unavailable[ProxyTarget.Nginx] = (NginxBinary.InstallHint, null);
            return null;
        }

        progress.Step($"starting nginx ({path}, worker_processes {options.NginxWorkers}) in front of the worker");
        string? version = null;
        try
        {
            var binary = await NginxBinary.ProbeAsync(path, cancellationToken);
            version = binary.Version;
            var proxy = await NginxProxy.StartAsync(binary, worker, options.NginxWorkers, cancellationToken);
            _addresses[ProxyTarget.Nginx] = proxy.Addresses;
            _nginx = new NginxRun(binary.Version, options.NginxWorkers, proxy.Config, null, null);
            return proxy;
        }
        catch (LoadTestException e)
        {
            progress.Step($"    nginx did not start: {e.Message}");
            _nginx = new NginxRun(version, options.NginxWorkers, null, null, e.Message);
            _unavailable[ProxyTarget.Nginx] = (null, $"nginx did not start: {e.Message}");
            return null;
        }
    }

    /// <summary>Unrecorded load on every target and protocol at the highest concurrency, before any cell: JIT tiering, thread pools, connection pools.</summary>
    private async Task WarmUpAsync(InferPayload payload, CancellationToken cancellationToken)
    {
        if (options.TargetWarmup <= TimeSpan.Zero)
        {
            return;
        }

        var concurrency = GatewayBenchOptions.Concurrencies.Max();
        foreach (var target in options.Targets.Where(_addresses.ContainsKey))
        {
            foreach (var protocol in options.Protocols)
            {
                progress.Step($"warming up {target.ToLabel()} over {GatewayBenchMarkdown.Protocol(protocol.ToName())}: {GatewayBenchMarkdown.Seconds(options.TargetWarmup.TotalSeconds)} s at concurrency {concurrency}, not recorded");
                var profile = Closed(concurrency) with { Warmup = options.TargetWarmup, Duration = TimeSpan.FromMilliseconds(1) };
                try
                {
                    await LoadRunner.RunAsync(Target(target, protocol, payload), payload, profile, cancellationToken, progress);
                }
                catch (Exception e) when (IsTargetFailure(e))
                {
                    // Its cells will fail the same way and say so in the report.
                    progress.Step($"    warm-up failed: {e.Message}");
                }
            }
        }
    }

    private async Task<GatewayBenchCell> RunCellAsync(ProxyTarget target, TargetProtocol protocol, int concurrency, int round, InferPayload payload, CancellationToken cancellationToken)
    {
        var protocolName = protocol.ToName();
        var cell = new GatewayBenchCell(target, protocolName, concurrency, null, Round: round);
        progress.CellStarted(cell);
        if (_unavailable.TryGetValue(target, out var unavailable))
        {
            cell = cell with { Error = unavailable.Error, Skipped = unavailable.Skipped };
        }
        else
        {
            try
            {
                cell = cell with { Report = await LoadRunner.RunAsync(Target(target, protocol, payload), payload, Closed(concurrency), cancellationToken, progress) };
                if (cell.Report is { Succeeded: 0, Failed: 0 })
                {
                    // Nothing completed in the window and nothing failed: one call stalled past it (on a shared machine, a
                    // neighbour's burst). Such a cell has no figure at all, so it runs once more; a target that hangs
                    // stays empty, and the report says which cells ran twice.
                    progress.Step("    no request completed in the window: running the cell once more");
                    cell = cell with { Report = await LoadRunner.RunAsync(Target(target, protocol, payload), payload, Closed(concurrency), cancellationToken, progress), Attempts = 2 };
                }
            }
            catch (Exception e) when (IsTargetFailure(e))
            {
                cell = cell with { Error = e.Message };
            }
        }

        progress.CellEnded(cell);
        cancellationToken.ThrowIfCancellationRequested();

        // What one cell left behind should not be collected while the next one is measured.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return cell;
    }

    private LoadTarget Target(ProxyTarget target, TargetProtocol protocol, InferPayload payload) =>
        new(_addresses[target].For(protocol), protocol, payload.Model, payload.ModelVersion, GrpcClient: options.GrpcClient);

    private LoadProfile Closed(int concurrency) => new()
    {
        Mode = LoadMode.Closed,
        Concurrency = concurrency,
        Duration = options.Duration,
        Warmup = options.Warmup,
    };

    private static bool IsTargetFailure(Exception e) => e is LoadTestException or RpcException or HttpRequestException or IOException;
}
