using Serving.LoadTests.Bench;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.FeatureBench;

/// <summary>What <c>serving-loadtest features-bench</c> runs.</summary>
internal sealed record FeatureBenchOptions
{
    /// <summary>The model (a name in <c>models/</c> or a folder) whose <c>model.yaml</c> declares a feature lookup.</summary>
    public string Model { get; init; } = "tabular";

    /// <summary>Measured time per arm.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Unrecorded load before each arm.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Unrecorded load on each worker after it starts (half in each form): JIT tiering would otherwise penalize whichever arm runs first.</summary>
    public TimeSpan ServerWarmup { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Closed-model callers.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>The near-cache settings to measure, one worker each.</summary>
    public IReadOnlyList<NearCacheMode> NearCache { get; init; } = [NearCacheMode.Off, NearCacheMode.On];

    /// <summary>The Redis layouts to measure (<c>hash</c>, <c>packed</c>): one worker per layout and near-cache setting.</summary>
    public IReadOnlyList<string> Layouts { get; init; } = ["hash", "packed"];

    /// <summary>
    /// Rounds of the two arms per worker, in ABBA order (inline then lookup, then lookup then inline, …) so drift
    /// during the run favours neither form; the added latency is the median over the rounds.
    /// </summary>
    public int Rounds { get; init; } = 2;

    /// <summary>The gRPC client every arm uses.</summary>
    public GrpcClientKind GrpcClient { get; init; } = GrpcClientKind.RawHttp2;

    /// <summary>The batching written into the model's <c>model.yaml</c>; the default is the worker's own (delay 0, one instance per core).</summary>
    public BatchingConfig Batching { get; init; } = new(MaxBatchSize: 64, MaxQueueDelayMicros: 0, Instances: 1, IntraOpThreads: 0);

    /// <summary>The worker's per-call Redis time limit (<c>Serving:Features:Timeout</c>); null keeps the worker's default (100 ms).</summary>
    public TimeSpan? StoreTimeout { get; init; }

    /// <summary>Entities sent in both forms, one call at a time, before the load, to check the outputs agree.</summary>
    public int AgreementEntities { get; init; } = 8;

    /// <summary>Where to write the Markdown report as well as stdout.</summary>
    public string? MarkdownPath { get; init; }

    /// <summary>Where to write the JSON report.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Arms: two per round (lookup and inline) per layout and near-cache setting.</summary>
    public int Arms => Layouts.Count * NearCache.Count * Rounds * 2;

    /// <summary>The expected wall time (load only; start-up adds a few seconds).</summary>
    public TimeSpan Estimate => (ServerWarmup + ((Warmup + Duration) * 2 * Rounds) + TimeSpan.FromSeconds(3)) * NearCache.Count * Layouts.Count;

    /// <summary>Throws when the options cannot run.</summary>
    public void Validate()
    {
        Require(Duration >= TimeSpan.FromSeconds(1), "--duration must be at least 1s");
        Require(Warmup >= TimeSpan.Zero, "--warmup must not be negative");
        Require(ServerWarmup >= TimeSpan.Zero, "--server-warmup must not be negative");
        Require(Concurrency is > 0 and <= 4096, "--concurrency must be between 1 and 4096");
        Require(Rounds is >= 1 and <= 20, "--rounds must be between 1 and 20");
        Require(NearCache.Count > 0, "--near-cache needs off, on or both");
        Require(Layouts.Count > 0 && Layouts.All(l => l is "hash" or "packed"), "--layout needs hash, packed or both");
        Require(Batching.MaxBatchSize is > 1 and <= 4096, "--max-batch-size must be between 2 and 4096");
        Require(Batching.MaxQueueDelayMicros is >= 0 and <= 10_000_000, "--max-queue-delay-us must be between 0 and 10000000");
        Require(Batching.Instances is >= 1 and <= 64, "--instances must be between 1 and 64");
        Require(StoreTimeout is null || (StoreTimeout >= TimeSpan.FromMilliseconds(1) && StoreTimeout <= TimeSpan.FromMinutes(1)), "--store-timeout must be between 1ms and 1m");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw LoadTestException.Usage(message);
        }
    }
}
