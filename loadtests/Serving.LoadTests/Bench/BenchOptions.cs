using Serving.LoadTests.Targets;
using Serving.Worker.Models;

namespace Serving.LoadTests.Bench;

/// <summary>What <c>serving-loadtest bench</c> runs.</summary>
internal sealed record BenchOptions
{
    /// <summary>Measured time per cell.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unrecorded load before each cell.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Unrecorded load on each server right after it starts, before its first cell: JIT tiering and the thread
    /// pool's growth would otherwise make whichever cell comes first in the process look slow.
    /// </summary>
    public TimeSpan ServerWarmup { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Closed-model concurrencies.</summary>
    public IReadOnlyList<int> Concurrencies { get; init; } = [1, 8, 64, 256];

    /// <summary>Model names (in <c>models/</c> or <c>loadtests/models/</c>) or folders.</summary>
    public IReadOnlyList<string> Models { get; init; } = ["tabular", "bench_mlp"];

    /// <summary>The servers to load (all by default; fewer for a quick look at one of them).</summary>
    public IReadOnlyList<BenchArm> Arms { get; init; } = BenchArms.All;

    /// <summary>The gRPC client every cell uses.</summary>
    public GrpcClientKind GrpcClient { get; init; } = GrpcClientKind.RawHttp2;

    /// <summary>Batching settings that replace each model's own (from its <c>model.yaml</c>) in the bench's copy; unset ones are the model's.</summary>
    public BatchingOverrides Batching { get; init; } = new();

    /// <summary>Extra attempts for a cell during which other processes used more than <see cref="NoisyThresholdCores"/>.</summary>
    public int NoisyRetries { get; init; } = 1;

    /// <summary>Cores used by other processes above which a cell counts as noisy.</summary>
    public double NoisyThresholdCores { get; init; } = 0.25;

    /// <summary>
    /// Rounds of the paired efficiency check: after a model's other cells, the batched worker and the echo server run
    /// side by side and take turns at the reference concurrency (echo, worker; then worker, echo; …), so the machine's
    /// drift between cells minutes apart does not enter the serving efficiency. 0 skips it.
    /// </summary>
    public int PairedRounds { get; init; } = 2;

    /// <summary>Run the h2load cross-check on the echo server (skipped with a note when h2load is missing).</summary>
    public bool H2LoadCheck { get; init; } = true;

    /// <summary>Where to write the Markdown report as well as stdout.</summary>
    public string? MarkdownPath { get; init; }

    /// <summary>Where to write the JSON report.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Where to write PNG plots.</summary>
    public string? PlotDirectory { get; init; }

    /// <summary>Throws when the options cannot run.</summary>
    public void Validate()
    {
        Require(Duration >= TimeSpan.FromSeconds(1), "--duration must be at least 1s");
        Require(Warmup >= TimeSpan.Zero, "--warmup must not be negative");
        Require(ServerWarmup >= TimeSpan.Zero, "--server-warmup must not be negative");
        Require(Concurrencies.Count > 0 && Concurrencies.All(c => c is > 0 and <= 4096), "--concurrency needs values between 1 and 4096");
        Require(Models.Count > 0, "--models needs at least one model");
        Require(Arms.Count > 0, "--servers needs at least one server");
        Require(NoisyRetries is >= 0 and <= 5, "--noisy-retries must be between 0 and 5");
        Require(PairedRounds is >= 0 and <= 10, "--paired-rounds must be between 0 and 10");
        Require(NoisyThresholdCores > 0, "--noisy-threshold must be positive");
        Require(Batching.MaxBatchSize is null or (> 1 and <= 4096), "--max-batch-size must be between 2 and 4096");
        Require(Batching.MaxQueueDelayMicros is null or (>= 0 and <= 10_000_000), "--max-queue-delay-us must be between 0 and 10000000");
        Require(Batching.ArrivalGapMicros is null or (>= 0 and <= 10_000_000), "--arrival-gap-us must be between 0 and 10000000");
        Require(Batching.Instances is null or (>= 1 and <= 64), "--instances must be between 1 and 64");
        // The worker's own bound (model.yaml's runtime.intra_op_threads): past it the bench's model would not load, and raw ORT would start that many threads.
        Require(Batching.IntraOpThreads is null or (>= 0 and <= ModelConfigLoader.MaxThreads), $"--intra-op-threads must be between 0 (ORT's default) and {ModelConfigLoader.MaxThreads}");
    }

    /// <summary>True when the paired efficiency check runs: it needs both the batched worker and the echo server.</summary>
    public bool RunsPaired => PairedRounds > 0 && Arms.Contains(BenchArm.WorkerBatching) && Arms.Contains(BenchArm.Echo);

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw LoadTestException.Usage(message);
        }
    }
}
