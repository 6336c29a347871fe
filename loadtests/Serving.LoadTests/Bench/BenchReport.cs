namespace Serving.LoadTests.Bench;

/// <summary>The whole bench: settings, machine, every model's figures, the ratios and the generator check.</summary>
internal sealed record BenchReport
{
    /// <summary>When the bench started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Wall time of the bench.</summary>
    public required double TotalSeconds { get; init; }

    /// <summary>The estimate printed at the start.</summary>
    public required double EstimatedSeconds { get; init; }

    /// <summary>Cores, CPU, runtime, ORT version, build of the worker.</summary>
    public required BenchMachine Machine { get; init; }

    /// <summary>The gRPC client every cell used.</summary>
    public required string GrpcClient { get; init; }

    /// <summary>Measured seconds per cell.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Warmup seconds per cell.</summary>
    public required double WarmupSeconds { get; init; }

    /// <summary>Unrecorded seconds of load on each server after it starts.</summary>
    public double ServerWarmupSeconds { get; init; }

    /// <summary>Extra attempts allowed for a noisy cell.</summary>
    public int NoisyRetries { get; init; }

    /// <summary>Cores used by other processes above which a cell was run again.</summary>
    public double NoisyThresholdCores { get; init; }

    /// <summary>Closed-model concurrencies.</summary>
    public required IReadOnlyList<int> Concurrencies { get; init; }

    /// <summary>The concurrency the ratios compare at.</summary>
    public required int ReferenceConcurrency { get; init; }

    /// <summary>Batching settings given on the command line over each model's own (each model's result has what it ran with).</summary>
    public BatchingOverrides Batching { get; init; } = new();

    /// <summary>Per model.</summary>
    public required IReadOnlyList<BenchModelResult> Models { get; init; }

    /// <summary>The ratios with their targets.</summary>
    public required IReadOnlyList<BenchRatio> Ratios { get; init; }

    /// <summary>h2load vs our generator on the echo server; null when it did not run.</summary>
    public GeneratorCheckResult? GeneratorCheck { get; init; }

    /// <summary>Set when the bench stopped before the end (Ctrl+C or its time bound).</summary>
    public string? StoppedEarly { get; init; }
}
