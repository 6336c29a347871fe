using Serving.LoadTests.Bench;

namespace Serving.LoadTests.FeatureBench;

/// <summary>The feature-store bench: settings, machine, the arms and what the lookup adds per near-cache setting.</summary>
internal sealed record FeatureBenchReport
{
    /// <summary>When it started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Wall time.</summary>
    public required double TotalSeconds { get; init; }

    /// <summary>Cores, CPU, runtime, build.</summary>
    public required BenchMachine Machine { get; init; }

    /// <summary>The model.</summary>
    public required string Model { get; init; }

    /// <summary>The version served.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>The key pattern the features live under.</summary>
    public required string KeyPattern { get; init; }

    /// <summary>Entities written to Redis and walked by the callers.</summary>
    public required int Entities { get; init; }

    /// <summary>Fields per entity (columns of the target input).</summary>
    public required int Fields { get; init; }

    /// <summary>The redis-server version.</summary>
    public required string RedisVersion { get; init; }

    /// <summary>The gRPC client.</summary>
    public required string GrpcClient { get; init; }

    /// <summary>Closed-model callers.</summary>
    /// <summary>The layout the model's own <c>model.yaml</c> names (what a worker serving it as shipped reads).</summary>
    public string ShippedLayout { get; init; } = "hash";

    /// <summary>Rounds of the two arms per worker (ABBA order).</summary>
    public int Rounds { get; init; } = 1;

    public required int Concurrency { get; init; }

    /// <summary>Measured seconds per arm.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Warmup seconds per arm.</summary>
    public required double WarmupSeconds { get; init; }

    /// <summary>Unrecorded seconds of load on each worker after it starts.</summary>
    public required double ServerWarmupSeconds { get; init; }

    /// <summary>The worker's Redis call timeout when the bench set it; null = the worker's default.</summary>
    public double? StoreTimeoutMs { get; init; }

    /// <summary>The batching in model.yaml.</summary>
    public required BatchingConfig Batching { get; init; }

    /// <summary>Every arm, in the order run.</summary>
    public required IReadOnlyList<FeatureArm> Arms { get; init; }

    /// <summary>Per near-cache setting: what the lookup adds.</summary>
    public required IReadOnlyList<FeatureComparison> Comparisons { get; init; }

    /// <summary>Set when the bench stopped before the end.</summary>
    public string? StoppedEarly { get; init; }
}
