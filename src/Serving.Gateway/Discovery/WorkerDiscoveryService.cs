using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Hosting;
using Serving.Gateway.Routing;
using Serving.Hosting.Health;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Discovery;

/// <summary>
/// Active health and discovery: every interval, asks each worker whether it is ready and which
/// versions it serves (Open Inference Protocol ready + Triton's repository index), fetches the
/// metadata of versions it has not seen, and publishes a new <see cref="RoutingTable"/>.
/// </summary>
internal sealed partial class WorkerDiscoveryService(
    WorkerSource source, WorkerProbe probe, RoutingState state, ReadinessState readiness,
    IOptions<GatewayOptions> options, Metrics.GatewayMetrics metrics, TimeProvider time, ILogger<WorkerDiscoveryService> logger) : IHostedService, IDisposable
{
    /// <summary>
    /// After a worker's "unhealthy" warning, how long its next ones are logged at Information: a worker whose readiness
    /// flips every probe logged a warning every other round (one every 2 s at the default interval) for as long as it
    /// flapped. The first of each period is a warning, and says how often the worker went unhealthy meanwhile.
    /// </summary>
    internal static readonly TimeSpan UnhealthyWarningPeriod = TimeSpan.FromMinutes(1);

    private readonly Dictionary<WorkerEndpoint, WorkerReport> _reports = [];
    private readonly Dictionary<WorkerEndpoint, int> _failures = [];
    private readonly Dictionary<(string Model, string Version), ModelMetadataResponse> _metadata = [];

    // Per worker: when its last "unhealthy" warning was logged, and how often it went unhealthy since without one.
    private readonly Dictionary<WorkerEndpoint, (long At, int Since)> _warned = [];

    // How many rounds in a row each version without metadata failed to get it.
    private readonly Dictionary<(string Model, string Version), int> _metadataFailures = [];
    private long _metadataRounds;

    /// <summary>The most metadata calls a round makes to one worker at once.</summary>
    internal const int MetadataFetchesPerWorker = 4;

    /// <summary>The most versions a round asks metadata for; the rest wait for the next rounds.</summary>
    internal const int MaxMetadataFetchesPerRound = 256;

    /// <summary>The workers whose failed probes are counted now (for tests: only those of the last round).</summary>
    internal int FailureCounts => _failures.Count;

    // The workers whose serving_gateway_worker_healthy series the last round set.
    private HashSet<string> _published = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // One round before the listeners open, so a gateway started after its workers routes at once.
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        readiness.MarkStarted();
        _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.DiscoveryInterval);
        while (await Ticks.NextAsync(timer, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.RoundFailed(logger, e);
            }
        }
    }

    /// <summary>One discovery round.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var workers = await source.ResolveAsync(cancellationToken).ConfigureAwait(false);
        var results = await Task.WhenAll(workers.Select(w => ProbeAsync(w, cancellationToken))).ConfigureAwait(false);
        foreach (var (worker, (report, failure)) in workers.Zip(results))
        {
            Record(worker, report, failure);
        }

        // Every worker that left, also one that never answered a probe (it had failures and no report: every pod address
        // of a crash-looping Deployment stayed here for good).
        foreach (var gone in _reports.Keys.Union(_failures.Keys).Union(_warned.Keys).Except(workers).ToList())
        {
            _reports.Remove(gone);
            _failures.Remove(gone);
            _warned.Remove(gone);
        }

        await FetchMetadataAsync(cancellationToken).ConfigureAwait(false);
        state.Publish(Build(workers));
        // A worker that left (a DNS name no longer resolves to its address: a pod replaced by a rolling update) loses its
        // series: it stayed at its last value, often 1, so every pod a deploy replaced was counted healthy for good.
        var published = new HashSet<string>(StringComparer.Ordinal);
        foreach (var worker in workers)
        {
            metrics.WorkerHealth(worker.Name, worker.IsHealthy);
            published.Add(worker.Name);
        }

        foreach (var gone in _published.Except(published))
        {
            metrics.WorkerGone(gone);
        }

        _published = published;
    }

    // The worker's report, or why there is none (for the log line that takes the worker out of rotation).
    private async Task<(WorkerReport? Report, string? Failure)> ProbeAsync(WorkerEndpoint worker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.ProbeTimeout);
        try
        {
            var ready = probe.IsReadyAsync(worker, timeout.Token);
            var index = probe.IndexAsync(worker, timeout.Token);

            // Both awaited, so neither fails unobserved when the other does.
            await Task.WhenAll(ready, index).ConfigureAwait(false);
            return (new WorkerReport(worker, await ready.ConfigureAwait(false), await index.ConfigureAwait(false)), null);
        }
        catch (Exception e) when (WorkerProbe.IsWorkerFault(e))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            return (null, e is OperationCanceledException
                ? $"no answer within the probe timeout ({options.Value.ProbeTimeout.TotalSeconds:0.###} s)"
                : e.Message.TrimEnd('.'));
        }
    }

    private void Record(WorkerEndpoint worker, WorkerReport? report, string? failure)
    {
        var wasHealthy = worker.ProbeHealthy;
        if (report is not null)
        {
            _failures[worker] = 0;
            _reports[worker] = report;
            worker.SetProbeHealthy(report.Ready);
        }
        else
        {
            var failures = _failures[worker] = _failures.GetValueOrDefault(worker) + 1;
            if (failures >= options.Value.UnhealthyAfterFailedProbes || !_reports.ContainsKey(worker))
            {
                worker.SetProbeHealthy(false);
            }
        }

        if (wasHealthy == worker.ProbeHealthy)
        {
            return;
        }

        if (worker.ProbeHealthy)
        {
            Log.WorkerHealthy(logger, worker.Name);
        }
        else
        {
            var failures = _failures.GetValueOrDefault(worker);
            var reason = report is not null
                ? "it answers that it is not ready (/v2/health/ready)"
                : $"{failures} probe{(failures == 1 ? "" : "s")} in a row failed, the last: {failure}";
            var now = time.GetTimestamp();
            if (_warned.TryGetValue(worker, out var warned) && time.GetElapsedTime(warned.At, now) < UnhealthyWarningPeriod)
            {
                _warned[worker] = (warned.At, warned.Since + 1);
                Log.WorkerUnhealthyAgain(logger, worker.Name, reason);
            }
            else
            {
                _warned[worker] = (now, 0);
                Log.WorkerUnhealthy(logger, worker.Name, warned.Since > 0 ? $"{reason} (and {warned.Since} more time{(warned.Since == 1 ? "" : "s")} since its last warning)" : reason);
            }
        }
    }

    // The metadata of the versions with none yet, each asked of one worker that lists it READY (and a version of an invalid
    // name or number of none: the routing table leaves it out). Before, the versions were asked one after another, each
    // of the first worker that listed it: a worker whose metadata 404'd, broke off or was not JSON kept a version another
    // worker described from ever being described (the gateway answered 503 "no ready worker to describe it"), and one
    // that listed N versions whose metadata never came held every round for N probe timeouts, the other workers' health
    // with it. Now the round's fetches run at once, at most MetadataFetchesPerWorker of them on a worker, all within one
    // ProbeTimeout; each version tries its workers in turn, starting each round from another, and the versions that
    // failed most wait behind the others.
    private async Task FetchMetadataAsync(CancellationToken cancellationToken)
    {
        var round = _metadataRounds++;
        var wanted = _reports.Values.Where(r => r.Ready)
            .SelectMany(r => r.Versions.Where(v => v.Ready && IsRoutable(v)).Select(v => (Key: (v.Model, v.Version), r.Worker)))
            .Where(x => !_metadata.ContainsKey(x.Key))
            .GroupBy(x => x.Key, x => x.Worker)
            .OrderBy(g => _metadataFailures.GetValueOrDefault(g.Key))
            .Take(MaxMetadataFetchesPerRound)
            .Select(g => (g.Key, Workers: g.Distinct().ToArray()))
            .ToList();
        if (wanted.Count > 0)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.ProbeTimeout);
            var slots = wanted.SelectMany(w => w.Workers).Distinct().ToDictionary(w => w, _ => new SemaphoreSlim(MetadataFetchesPerWorker));
            try
            {
                var found = await Task.WhenAll(wanted.Select(w => DescribeAsync(w.Key, w.Workers, round, slots, timeout.Token))).ConfigureAwait(false);
                foreach (var ((key, _), (worker, metadata)) in wanted.Zip(found))
                {
                    if (metadata is null)
                    {
                        _metadataFailures[key] = _metadataFailures.GetValueOrDefault(key) + 1;
                        continue;
                    }

                    _metadata[key] = metadata;
                    _metadataFailures.Remove(key);
                    Log.VersionDiscovered(logger, key.Model, key.Version, worker!.Name);
                }
            }
            finally
            {
                foreach (var slot in slots.Values)
                {
                    slot.Dispose();
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        var known = _reports.Values.SelectMany(r => r.Versions).Select(v => (v.Model, v.Version)).ToHashSet();
        foreach (var key in _metadata.Keys.Where(k => !known.Contains(k)).ToList())
        {
            _metadata.Remove(key);
        }

        foreach (var key in _metadataFailures.Keys.Where(k => !known.Contains(k)).ToList())
        {
            _metadataFailures.Remove(key);
        }
    }

    private static bool IsRoutable(WorkerIndexEntry entry) => Names.IsValidName(entry.Model) && Names.TryParseVersion(entry.Version, out _);

    // The first metadata one of the workers gives, trying them in turn from the round's one; none when every one failed
    // or the round's time ran out.
    private async Task<(WorkerEndpoint? Worker, ModelMetadataResponse? Metadata)> DescribeAsync(
        (string Model, string Version) key, WorkerEndpoint[] workers, long round, Dictionary<WorkerEndpoint, SemaphoreSlim> slots, CancellationToken cancellationToken)
    {
        for (var i = 0; i < workers.Length && !cancellationToken.IsCancellationRequested; i++)
        {
            var worker = workers[(int)((round + i) % workers.Length)];
            try
            {
                await slots[worker].WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (await probe.MetadataAsync(worker, key.Model, key.Version, cancellationToken).ConfigureAwait(false) is { } metadata)
                    {
                        return (worker, metadata);
                    }
                }
                finally
                {
                    slots[worker].Release();
                }
            }
            catch (Exception e) when (WorkerProbe.IsWorkerFault(e))
            {
                // This worker did not describe it (the round's time may be up: the loop ends then).
            }
        }

        return (null, null);
    }

    private RoutingTable Build(IReadOnlyList<WorkerEndpoint> workers)
    {
        var models = _reports.Values
            .SelectMany(r => r.Versions.Select(v => (r.Worker, Entry: v)))
            .Where(x => IsRoutable(x.Entry))
            .GroupBy(x => x.Entry.Model, StringComparer.Ordinal)
            .Select(model => new ModelRoute(model.Key, model
                .GroupBy(x => x.Entry.Version, StringComparer.Ordinal)
                .Select(version =>
                {
                    Names.TryParseVersion(version.Key, out var number);
                    var ready = version.Where(x => x.Entry.Ready).Select(x => x.Worker).Distinct().ToArray();

                    // The first reason in worker order, so every round names the same one.
                    var why = version.Where(x => x.Entry.NotReadyBecause is not null).OrderBy(x => x.Worker.Name, StringComparer.Ordinal)
                        .Select(x => x.Entry.NotReadyBecause).FirstOrDefault();
                    return new VersionRoute(model.Key, version.Key, number, ready, _metadata.GetValueOrDefault((model.Key, version.Key)), why);
                })));
        return new RoutingTable(models, workers, discovered: true);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Worker {Worker} is healthy")]
        public static partial void WorkerHealthy(ILogger logger, string worker);

        [LoggerMessage(4, LogLevel.Warning, "Worker {Worker} is unhealthy: {Reason}. No requests go to it until a probe finds it ready")]
        public static partial void WorkerUnhealthy(ILogger logger, string worker, string reason);

        [LoggerMessage(5, LogLevel.Information, "Worker {Worker} is unhealthy again: {Reason}. No requests go to it until a probe finds it ready")]
        public static partial void WorkerUnhealthyAgain(ILogger logger, string worker, string reason);

        [LoggerMessage(2, LogLevel.Information, "Discovered model {Model} version {Version} on {Worker}")]
        public static partial void VersionDiscovered(ILogger logger, string model, string version, string worker);

        [LoggerMessage(3, LogLevel.Warning, "Discovery round failed")]
        public static partial void RoundFailed(ILogger logger, Exception exception);
    }
}
