using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Serving.LoadTests.Baselines;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;
using Serving.Protocol.Tensors;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// Runs the feature bench in one process: a real redis-server loaded from the model's feature CSV, then per
/// near-cache setting a worker started in-process and loaded in both forms of call, in rounds: inline then by id,
/// then by id then inline, and so on (ABBA).
/// </summary>
internal sealed class FeatureBenchRunner(FeatureBenchOptions options, BenchProgress progress)
{
    private static readonly TimeSpan CounterSettle = TimeSpan.FromMilliseconds(200);
    private readonly List<FeatureArm> _arms = [];
    private readonly List<FeatureComparison> _comparisons = [];

    /// <summary>Runs everything; on cancellation returns what was measured so far.</summary>
    public async Task<FeatureBenchReport> RunAsync(string repositoryRoot, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var model = BenchModel.Locate(options.Model, repositoryRoot);
        var spec = FeatureSpec.Load(model.SourceDirectory);
        var table = FeatureTable.Load(spec.CsvPath, spec);
        var lookupForm = FeaturePayloads.Entity(model.Name, spec, table);
        var inlineForm = FeaturePayloads.Inline(model.Name, spec, table, TargetDataType(model, spec));

        progress.Step("starting redis-server on 127.0.0.1 (a free port, its own temp folder, no persistence)");
        await using var redis = await RedisProcess.StartAsync(cancellationToken);
        string? stoppedEarly = null;
        try
        {
            foreach (var layout in options.Layouts)
            {
                // One layout's data at a time: both are under the same keys.
                await redis.Database.ExecuteAsync("FLUSHDB");
                var written = await FeatureSeeder.WriteAsync(redis.Database, spec, table, cancellationToken, layout);
                progress.Step($"redis {redis.Version} on port {redis.Port}: {written} entities × {table.Fields.Count} fields written under {spec.KeyPattern}, layout {layout}");
                foreach (var mode in options.NearCache)
                {
                    await RunWorkerAsync(model, spec, layout, mode, redis, lookupForm, inlineForm, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            stoppedEarly = "cancelled (Ctrl+C or the bench's time bound) before the end; the figures below are what was measured";
        }

        return new FeatureBenchReport
        {
            StartedAt = started,
            TotalSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            Machine = BenchMachine.Current(),
            Model = model.Name,
            ModelVersion = model.VersionText,
            KeyPattern = spec.KeyPattern,
            Entities = table.Entities.Count,
            Fields = table.Fields.Count,
            RedisVersion = redis.Version,
            GrpcClient = options.GrpcClient.ToName(),
            Concurrency = options.Concurrency,
            Rounds = options.Rounds,
            ShippedLayout = spec.Layout,
            DurationSeconds = options.Duration.TotalSeconds,
            WarmupSeconds = options.Warmup.TotalSeconds,
            ServerWarmupSeconds = options.ServerWarmup.TotalSeconds,
            StoreTimeoutMs = options.StoreTimeout?.TotalMilliseconds,
            Batching = options.Batching,
            Arms = _arms,
            Comparisons = _comparisons,
            StoppedEarly = stoppedEarly,
        };
    }

    private async Task RunWorkerAsync(
        BenchModel model, FeatureSpec spec, string layout, NearCacheMode mode, RedisProcess redis, IReadOnlyList<InferPayload> lookupForm, IReadOnlyList<InferPayload> inlineForm, CancellationToken cancellationToken)
    {
        var ttl = NearCacheSetting.TtlMs(mode, spec.NearCacheTtlMs);
        using var repository = BenchRepository.Create(model, options.Batching);
        NearCacheSetting.Apply(Path.Combine(repository.Root, model.Name, "model.yaml"), ttl, layout);
        progress.Step($"layout {layout}, near cache {mode.ToName()} (near_cache_ttl_ms: {ttl.ToString(CultureInfo.InvariantCulture)}): starting the worker with Serving:Features:Redis set");
        await using var worker = await FeatureWorker.StartAsync(repository.Root, redis.ConnectionString, options.StoreTimeout, cancellationToken);

        // The worker's Redis connection opens and its script loads on the first lookup; the check is about steady state.
        await FormAgreement.CheckAsync(worker.GrpcAddress, lookupForm, inlineForm, 1, cancellationToken);
        var agreement = await FormAgreement.CheckAsync(worker.GrpcAddress, lookupForm, inlineForm, options.AgreementEntities, cancellationToken);
        progress.Step($"    both forms on the first {agreement.Entities} entities: {(agreement.Agrees ? "same outputs" : $"DIFFER (max |Δ| {agreement.MaxAbsDifference:G3}, {agreement.DefaultedResponses} defaulted)")}");
        await WarmUpAsync(worker, lookupForm, inlineForm, cancellationToken);

        var rounds = new List<(FeatureArm Lookup, FeatureArm Inline)>(options.Rounds);
        try
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                // ABBA: odd rounds inline first, even rounds lookup first, so drift during the run favours neither form.
                var lookupFirst = round % 2 == 0;
                var first = await RunArmAsync(model, layout, mode, lookupFirst ? FeatureArm.Lookup : FeatureArm.Inline, round, worker, redis, lookupFirst ? lookupForm : inlineForm, cancellationToken);
                var second = await RunArmAsync(model, layout, mode, lookupFirst ? FeatureArm.Inline : FeatureArm.Lookup, round, worker, redis, lookupFirst ? inlineForm : lookupForm, cancellationToken);
                rounds.Add(lookupFirst ? (first, second) : (second, first));
            }
        }
        finally
        {
            // Cancelled midway: the rounds that finished still compare.
            if (rounds.Count > 0)
            {
                _comparisons.Add(FeatureComparison.From(rounds, ttl, agreement));
            }
        }
    }

    /// <summary>Unrecorded load after the worker starts, half in each form, so both arms find the same warm process.</summary>
    private async Task WarmUpAsync(InProcessWorker worker, IReadOnlyList<InferPayload> lookupForm, IReadOnlyList<InferPayload> inlineForm, CancellationToken cancellationToken)
    {
        if (options.ServerWarmup <= TimeSpan.Zero)
        {
            return;
        }

        progress.Step($"    warming the worker up: {Format.Fixed(options.ServerWarmup.TotalSeconds, 0)} s at concurrency {options.Concurrency}, half in each form, not recorded");
        var half = options.ServerWarmup / 2;
        foreach (var payloads in new[] { inlineForm, lookupForm })
        {
            var profile = Closed() with { Warmup = half, Duration = TimeSpan.FromMilliseconds(1) };
            try
            {
                await FeatureLoadRunner.RunAsync(Target(worker, payloads), payloads, profile, cancellationToken);
            }
            catch (Exception e) when (e is LoadTestException or RpcException or HttpRequestException or IOException)
            {
                // The arm will fail the same way and say so in the report.
                progress.Step($"    warm-up failed: {e.Message}");
            }
        }
    }

    private async Task<FeatureArm> RunArmAsync(
        BenchModel model, string layout, NearCacheMode mode, string form, int round, InProcessWorker worker, RedisProcess redis, IReadOnlyList<InferPayload> payloads, CancellationToken cancellationToken)
    {
        progress.CellStarted($"{model.Name} · layout {layout} · near cache {mode.ToName()} · round {round}/{options.Rounds} · {(form == FeatureArm.Lookup ? "lookup (entity ids)" : "inline (same values in the request)")} · closed c={options.Concurrency}");
        FeatureArm arm;
        try
        {
            var metricsBefore = await worker.ScrapeAsync(cancellationToken);
            var commandsBefore = await redis.CommandStatsAsync();
            var cpuBefore = await redis.CpuSecondsAsync();
            var clock = Stopwatch.StartNew();
            var report = await FeatureLoadRunner.RunAsync(Target(worker, payloads), payloads, Closed(), cancellationToken, progress);
            var wall = clock.Elapsed.TotalSeconds;

            // A batch counts itself after answering its callers; let the last ones land before reading the counters.
            await Task.Delay(CounterSettle, CancellationToken.None);
            var cpuAfter = await redis.CpuSecondsAsync();
            var commandsAfter = await redis.CommandStatsAsync();
            var stats = WorkerFeatureStats.Between(metricsBefore, await worker.ScrapeAsync(CancellationToken.None), model.Name);
            var roundTrips = RoundTrips.From(CommandStats.Between(commandsBefore, commandsAfter), stats.Batches, stats.StoreCalls, stats.CacheMisses);
            arm = new FeatureArm(mode.ToName(), form, report, null, stats, roundTrips, wall > 0 ? Math.Round((cpuAfter - cpuBefore) / wall, 2) : null, layout, round);
        }
        catch (Exception e) when (e is LoadTestException or RpcException or HttpRequestException or IOException or StackExchange.Redis.RedisException)
        {
            arm = new FeatureArm(mode.ToName(), form, null, e.Message, null, null, null, layout, round);
        }

        _arms.Add(arm);
        progress.CellEnded(new BenchCell(
            BenchArm.WorkerBatching, "closed", options.Concurrency, null, arm.Report, arm.Error,
            arm.Worker is { } w ? new BatchingStats(w.Batches, w.MeanBatchSize, 0, 0, 0) : null));
        if (arm.RoundTrips is { PerBatch: { } perBatch } rt && form == FeatureArm.Lookup)
        {
            progress.Step($"    redis: {Format.Int(rt.StoreCalls)} round trips for {Format.Int(rt.Batches)} batches = {Format.Fixed(perBatch, 3)} per batch; near-cache hits {(arm.Worker?.CacheHitRatio is { } hit ? Format.Fixed(hit * 100, 1) + " %" : "n/a")}");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return arm;
    }

    private LoadTarget Target(InProcessWorker worker, IReadOnlyList<InferPayload> payloads) =>
        new(worker.GrpcAddress, TargetProtocol.Grpc, payloads[0].Model, payloads[0].ModelVersion, GrpcClient: options.GrpcClient);

    private LoadProfile Closed() => new()
    {
        Mode = LoadMode.Closed,
        Concurrency = options.Concurrency,
        Duration = options.Duration,
        Warmup = options.Warmup,
    };

    /// <summary>The target input's element type, from the ONNX graph (the inline form must match it).</summary>
    private static DataType TargetDataType(BenchModel model, FeatureSpec spec)
    {
        using var session = OrtSessions.Create(model.OnnxPath, 1, allowSpinning: false);
        var input = OrtSessions.Describe(session.InputMetadata).FirstOrDefault(i => i.Name == spec.TargetInput)
            ?? throw new LoadTestException($"model '{model.Name}' has no input '{spec.TargetInput}' (features.target_input)");
        return DataTypes.TryParse(input.DataType, out var type) ? type : throw new LoadTestException($"input '{input.Name}' has an unknown datatype '{input.DataType}'");
    }
}
