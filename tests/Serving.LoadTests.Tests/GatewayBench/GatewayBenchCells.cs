using Serving.LoadTests.GatewayBench;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.GatewayBench;

/// <summary>Hand-built gateway bench cells and reports with just the figures a test reads.</summary>
internal static class GatewayBenchCells
{
    public static GatewayBenchCell Measured(ProxyTarget target, string protocol, int concurrency, double requestsPerSecond, long p50Micros, long failed = 0, int round = 1) =>
        new(target, protocol, concurrency, Reports.Load(requestsPerSecond, failed: failed) with
        {
            Protocol = protocol,
            Concurrency = concurrency,
            Latency = new LatencySummary((long)(requestsPerSecond * 5), p50Micros / 2, p50Micros, p50Micros, p50Micros * 2, p50Micros * 4, p50Micros * 8, p50Micros * 10),
            OtherCpuCores = 0.25,
            ProcessCpuCores = 1.5,
        }, Round: round);

    /// <summary>A full run (one round) for one protocol: direct, gateway and nginx at c=1 and c=64.</summary>
    public static List<GatewayBenchCell> Protocol(string protocol, double direct64, double gateway64, double nginx64, long directP50, long gatewayP50, int round = 1) =>
    [
        Measured(ProxyTarget.Direct, protocol, 1, 5_000, directP50, round: round),
        Measured(ProxyTarget.Gateway, protocol, 1, 3_000, gatewayP50, round: round),
        Measured(ProxyTarget.Nginx, protocol, 1, 2_000, gatewayP50 * 2, round: round),
        Measured(ProxyTarget.Direct, protocol, 64, direct64, 10_000, round: round),
        Measured(ProxyTarget.Gateway, protocol, 64, gateway64, 20_000, round: round),
        Measured(ProxyTarget.Nginx, protocol, 64, nginx64, 30_000, round: round),
    ];

    /// <summary>gRPC at c=64, direct and gateway only, one pair of cells per round: (direct req/s, gateway req/s) for rounds 1, 2, ….</summary>
    public static List<GatewayBenchCell> Throughput64(params (double Direct, double Gateway)[] rounds) =>
    [
        .. rounds.SelectMany((r, i) => new[]
        {
            Measured(ProxyTarget.Direct, "grpc", 64, r.Direct, 10_000, round: i + 1),
            Measured(ProxyTarget.Gateway, "grpc", 64, r.Gateway, 20_000, round: i + 1),
        }),
    ];

    public static GatewayBenchReport Report(IReadOnlyList<GatewayBenchCell> cells, NginxRun? nginx = null, string? stoppedEarly = null) => new()
    {
        StartedAt = DateTimeOffset.UnixEpoch,
        TotalSeconds = 150,
        EstimatedSeconds = 160,
        Machine = new Serving.LoadTests.Bench.BenchMachine(2, "Test CPU", ".NET 10", "1.0", true, true),
        Model = "tabular",
        ModelVersion = "2",
        ModelYaml = "name: tabular\n",
        GrpcClient = "raw-h2",
        DurationSeconds = 10,
        WarmupSeconds = 1,
        TargetWarmupSeconds = 5,
        Rounds = cells.Count == 0 ? 1 : cells.Max(c => c.Round),
        Concurrencies = [1, 64],
        Nginx = nginx ?? new NginxRun("nginx/1.22.1", "auto", "worker_processes auto;\n", null, null),
        Cells = cells,
        Checks = GatewayBenchChecks.Compute(cells),
        StoppedEarly = stoppedEarly,
    };
}
