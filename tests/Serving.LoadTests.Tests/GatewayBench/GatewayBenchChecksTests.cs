using Serving.LoadTests.GatewayBench;

namespace Serving.LoadTests.Tests.GatewayBench;

public sealed class GatewayBenchChecksTests
{
    [Fact]
    public void Compute_FullRun_ThreeChecksPerProtocolFromTheRightCells()
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 2_000, directP50: 300, gatewayP50: 500)
            .Concat(GatewayBenchCells.Protocol("rest-json", direct64: 8_000, gateway64: 2_000, nginx64: 4_000, directP50: 200, gatewayP50: 700))
            .ToList();

        var checks = GatewayBenchChecks.Compute(cells);

        Assert.Equal(6, checks.Count);
        Assert.Equal(0.6, Find(checks, "grpc", "gateway ÷ direct").Value!.Value, 6);
        Assert.Equal(3.0, Find(checks, "grpc", "gateway ÷ nginx").Value!.Value, 6);
        Assert.Equal(0.2, Find(checks, "grpc", "p50 added").Value!.Value, 6);
        Assert.Equal(0.25, Find(checks, "rest-json", "gateway ÷ direct").Value!.Value, 6);
        Assert.Equal(0.5, Find(checks, "rest-json", "gateway ÷ nginx").Value!.Value, 6);
        Assert.Equal(0.5, Find(checks, "rest-json", "p50 added").Value!.Value, 6);
    }

    [Fact]
    public void Compute_Verdicts_AgainstTheIssuesTargets()
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 2_000, directP50: 300, gatewayP50: 500)
            .Concat(GatewayBenchCells.Protocol("rest-json", direct64: 8_000, gateway64: 2_000, nginx64: 4_000, directP50: 200, gatewayP50: 700))
            .ToList();

        var checks = GatewayBenchChecks.Compute(cells);

        Assert.Equal(["PASS", "PASS", "PASS", "MISS", "MISS", "MISS"], checks.Select(c => c.Verdict));
    }

    [Theory]
    [InlineData(5_000, "PASS")] // exactly 0.5
    [InlineData(4_990, "MISS")]
    public void Compute_GatewayOverDirect_TargetIsInclusive(double gateway64, string verdict)
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: gateway64, nginx64: 1_000, directP50: 300, gatewayP50: 400);

        Assert.Equal(verdict, Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ direct").Verdict);
    }

    [Theory]
    [InlineData(600, "PASS")] // exactly 0.3 ms added
    [InlineData(601, "MISS")]
    [InlineData(250, "PASS")] // faster than direct (noise): negative, still within the bound
    public void Compute_AddedP50_TargetIsAnUpperBoundInMilliseconds(long gatewayP50, string verdict)
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 1_000, directP50: 300, gatewayP50: gatewayP50);

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "p50 added");

        Assert.Equal(verdict, check.Verdict);
        Assert.False(check.AtLeast);
        Assert.Equal(0.3, check.Target);
    }

    [Fact]
    public void Compute_NginxSkipped_RatioHasNoValueAndSaysWhy()
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 1_000, directP50: 300, gatewayP50: 400)
            .Select(c => c.Target == ProxyTarget.Nginx ? c with { Report = null, Skipped = NginxBinary.InstallHint } : c)
            .ToList();

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ nginx");

        Assert.Null(check.Value);
        Assert.Equal("n/a", check.Verdict);
        Assert.Contains("nginx c=64 skipped", check.Detail, StringComparison.Ordinal);
        Assert.Contains("apt-get install nginx", check.Detail, StringComparison.Ordinal);
        Assert.Equal("PASS", Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ direct").Verdict);
    }

    [Fact]
    public void Compute_GatewayFailedToStart_EveryGatewayCheckSaysSo()
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 1_000, directP50: 300, gatewayP50: 400)
            .Select(c => c.Target == ProxyTarget.Gateway ? c with { Report = null, Error = "the gateway did not start: boom" } : c)
            .ToList();

        var checks = GatewayBenchChecks.Compute(cells);

        Assert.All(checks, c => Assert.Null(c.Value));
        Assert.All(checks, c => Assert.Contains("did not run: the gateway did not start: boom", c.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public void Compute_CellAbsent_SaysItWasNotInTheRun()
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 1_000, directP50: 300, gatewayP50: 400)
            .Where(c => c.Target != ProxyTarget.Nginx)
            .ToList();

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ nginx");

        Assert.Null(check.Value);
        Assert.Contains("not in this run", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_FailedRequests_NamedInTheDetail()
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 1_000, directP50: 300, gatewayP50: 400)
            .Select(c => c is { Target: ProxyTarget.Gateway, Concurrency: 64 } ? GatewayBenchCells.Measured(ProxyTarget.Gateway, "grpc", 64, 6_000, 20_000, failed: 12) : c)
            .ToList();

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ direct");

        Assert.Equal("6,000 ÷ 10,000 req/s (12 failed requests in these cells)", check.Detail);
    }

    private static GatewayBenchCheck Find(IReadOnlyList<GatewayBenchCheck> checks, string protocol, string name) =>
        Assert.Single(checks, c => c.Protocol == protocol && c.Name.StartsWith(name, StringComparison.Ordinal));
}
