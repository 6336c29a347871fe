using Serving.LoadTests.Bench;

namespace Serving.LoadTests.GatewayBench;

/// <summary>The whole gateway bench: settings, machine, every cell and the checks against the targets.</summary>
internal sealed record GatewayBenchReport
{
    /// <summary>When the run started (UTC).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Wall time of the run.</summary>
    public required double TotalSeconds { get; init; }

    /// <summary>The estimate printed at the start.</summary>
    public required double EstimatedSeconds { get; init; }

    /// <summary>Cores, CPU, runtime, ORT version, builds.</summary>
    public required BenchMachine Machine { get; init; }

    /// <summary>The model served.</summary>
    public required string Model { get; init; }

    /// <summary>The version the worker serves (the highest in the model's folder).</summary>
    public required string ModelVersion { get; init; }

    /// <summary>The <c>model.yaml</c> the worker ran with.</summary>
    public required string ModelYaml { get; init; }

    /// <summary>The worker's batching settings, the model's own (<see cref="Bench.BatchingConfig.Describe"/>); null in reports from before they were listed.</summary>
    public string? WorkerBatching { get; init; }

    /// <summary>The gRPC client of the gRPC cells.</summary>
    public required string GrpcClient { get; init; }

    /// <summary>The gateway's REST hop to the worker (<c>RestToWorkers</c>: Auto, Http2 or Http11); null when the gateway did not run.</summary>
    public string? GatewayRestToWorkers { get; init; }

    /// <summary>Measured seconds per cell.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Unrecorded seconds before each cell.</summary>
    public required double WarmupSeconds { get; init; }

    /// <summary>Unrecorded seconds per target and protocol before the first cell.</summary>
    public required double TargetWarmupSeconds { get; init; }

    /// <summary>Rounds of each (protocol, concurrency) group (1 in reports from before there were rounds).</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Closed-model concurrencies.</summary>
    public required IReadOnlyList<int> Concurrencies { get; init; }

    /// <summary>nginx's part; null when nginx was not among the targets.</summary>
    public NginxRun? Nginx { get; init; }

    /// <summary>Every cell, in the order they ran (each group's rounds one after the other).</summary>
    public required IReadOnlyList<GatewayBenchCell> Cells { get; init; }

    /// <summary>The figures with targets.</summary>
    public required IReadOnlyList<GatewayBenchCheck> Checks { get; init; }

    /// <summary>Set when the run stopped before the end (Ctrl+C or its time bound).</summary>
    public string? StoppedEarly { get; init; }
}
