using Serving.LoadTests.Bench;

namespace Serving.LoadTests.DriftBench;

/// <summary>The drift bench: settings, machine, the worker cells with and without logging, the ingest runs and the targets.</summary>
internal sealed record DriftBenchReport
{
    /// <summary>When the bench started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Wall time.</summary>
    public required double TotalSeconds { get; init; }

    /// <summary>Cores, CPU, runtime, build.</summary>
    public required BenchMachine Machine { get; init; }

    /// <summary>The model.</summary>
    public required string Model { get; init; }

    /// <summary>The version served and described by the records.</summary>
    public required string ModelVersion { get; init; }

    /// <summary>The gRPC client of the worker cells.</summary>
    public required string GrpcClient { get; init; }

    /// <summary>Closed-model callers.</summary>
    public required int Concurrency { get; init; }

    /// <summary>Measured seconds per worker cell.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Warmup seconds per worker cell.</summary>
    public required double WarmupSeconds { get; init; }

    /// <summary>Unrecorded seconds of load on each worker after it started.</summary>
    public required double ServerWarmupSeconds { get; init; }

    /// <summary>Rounds of the off/on alternation.</summary>
    public required int Rounds { get; init; }

    /// <summary>The workers' batching settings, the model's own (<see cref="Bench.BatchingConfig.Describe"/>); null in reports from before they were listed.</summary>
    public string? WorkerBatching { get; init; }

    /// <summary>The worker cells, in the order they ran.</summary>
    public required IReadOnlyList<WorkerCell> WorkerCells { get; init; }

    /// <summary>The ingest runs.</summary>
    public required IReadOnlyList<IngestResult> Ingest { get; init; }

    /// <summary>The figures with their targets.</summary>
    public required IReadOnlyList<BenchRatio> Targets { get; init; }

    /// <summary>Set when the bench stopped before the end.</summary>
    public string? StoppedEarly { get; init; }
}
