using Serving.Gateway.Configuration;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.GatewayBench;

/// <summary>The gateway bench's settings, from the command line or a test.</summary>
internal sealed record GatewayBenchOptions
{
    /// <summary>The closed-model concurrencies the issue asks for: 1 (added latency) and 64 (throughput).</summary>
    public static readonly IReadOnlyList<int> Concurrencies = [1, 64];

    /// <summary>The model served (a name in <c>models/</c> or <c>loadtests/models/</c>, or a folder).</summary>
    public string Model { get; init; } = "tabular";

    /// <summary>Measured time per cell.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Unrecorded load before each cell (connections, pools).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Unrecorded load on each target and protocol before any cell, at concurrency 64 (JIT tiering, thread pool growth).</summary>
    public TimeSpan TargetWarmup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many times each (protocol, concurrency) group is measured; the targets' order reverses every other round, and
    /// each figure is the median of its per-round figures.
    /// </summary>
    public int Rounds { get; init; } = 3;

    /// <summary>The targets to load.</summary>
    public IReadOnlyList<ProxyTarget> Targets { get; init; } = ProxyTargets.All;

    /// <summary>The protocols to load.</summary>
    public IReadOnlyList<TargetProtocol> Protocols { get; init; } = [TargetProtocol.Grpc, TargetProtocol.RestJson];

    /// <summary>The gRPC client every gRPC cell uses.</summary>
    public GrpcClientKind GrpcClient { get; init; } = GrpcClientKind.RawHttp2;

    /// <summary>The gateway's <c>Serving:Gateway:RestToWorkers</c> (its REST hop to the worker); null keeps the gateway's default.</summary>
    public WorkerRestProtocol? RestToWorkers { get; init; }

    /// <summary>The nginx executable; null looks on PATH and in the usual sbin folders.</summary>
    public string? NginxPath { get; init; }

    /// <summary>nginx <c>worker_processes</c>: <c>auto</c> (one per core) or a number.</summary>
    public string NginxWorkers { get; init; } = "auto";

    /// <summary>Where to write the Markdown report too.</summary>
    public string? MarkdownPath { get; init; }

    /// <summary>Where to write the JSON report.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Throws a <see cref="LoadTestException"/> naming the option that is wrong.</summary>
    public void Validate()
    {
        Require(Duration >= TimeSpan.FromSeconds(1), "--duration must be at least 1s");
        Require(Warmup >= TimeSpan.Zero, "--warmup must not be negative");
        Require(TargetWarmup >= TimeSpan.Zero, "--target-warmup must not be negative");
        Require(Rounds is >= 1 and <= 20, "--rounds must be between 1 and 20");
        Require(Targets.Count > 0, "--targets needs at least one of direct, gateway, nginx");
        Require(Protocols.Count > 0 && Protocols.All(p => p != TargetProtocol.RestBinary), "--protocols takes grpc and/or rest-json");
        Require(Model.Length > 0, "--model must name a model");
        Require(NginxWorkers == "auto" || (int.TryParse(NginxWorkers, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 64),
            "--nginx-workers must be 'auto' or a number between 1 and 64");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw LoadTestException.Usage(message);
        }
    }
}
