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

    [Fact]
    public void Compute_ThreeRounds_TheMedianOfThePerRoundRatios_EachListed()
    {
        // 0.40, 0.90, 0.60: the median is 0.60 (the mean would be 0.63).
        var cells = GatewayBenchCells.Throughput64((10_000, 4_000), (10_000, 9_000), (10_000, 6_000));

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ direct");

        Assert.Equal(0.6, check.Value!.Value, 9);
        Assert.Equal("median of 3 rounds: 0.40× (4,000 ÷ 10,000 req/s), 0.90× (9,000 ÷ 10,000 req/s), 0.60× (6,000 ÷ 10,000 req/s)", check.Detail);
    }

    [Fact]
    public void Compute_FourRounds_TheMedianIsTheMeanOfTheMiddleTwo()
    {
        // 0.40, 0.90, 0.50, 0.70: the middle two are 0.50 and 0.70.
        var cells = GatewayBenchCells.Throughput64((10_000, 4_000), (10_000, 9_000), (10_000, 5_000), (10_000, 7_000));

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ direct");

        Assert.Equal(0.6, check.Value!.Value, 9);
        Assert.StartsWith("median of 4 rounds: ", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_Rounds_EachRatioDividesCellsOfTheSameRound()
    {
        // The process slowed to half between the rounds: 0.6 in each. Across rounds it would be 3,000 ÷ 10,000 = 0.3
        // or 6,000 ÷ 5,000 = 1.2. The cells are in the order they ran (round 2 reversed).
        List<GatewayBenchCell> cells =
        [
            GatewayBenchCells.Measured(ProxyTarget.Direct, "grpc", 64, 10_000, 10_000, round: 1),
            GatewayBenchCells.Measured(ProxyTarget.Gateway, "grpc", 64, 6_000, 20_000, round: 1),
            GatewayBenchCells.Measured(ProxyTarget.Gateway, "grpc", 64, 3_000, 20_000, round: 2),
            GatewayBenchCells.Measured(ProxyTarget.Direct, "grpc", 64, 5_000, 10_000, round: 2),
        ];

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ direct");

        Assert.Equal(0.6, check.Value!.Value, 9);
        Assert.Equal("median of 2 rounds: 0.60× (6,000 ÷ 10,000 req/s), 0.60× (3,000 ÷ 5,000 req/s)", check.Detail);
    }

    [Fact]
    public void Compute_AddedP50_TheMedianOfThePerRoundDifferences()
    {
        // Per round: 500 − 300, 900 − 800, 600 − 200 µs = 0.2, 0.1, 0.4 ms: the median is 0.2 ms. The difference of the
        // medians (600 − 300 µs) would be 0.3 ms, the mean 0.233 ms.
        List<GatewayBenchCell> cells =
        [
            .. GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 2_000, directP50: 300, gatewayP50: 500, round: 1),
            .. GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 2_000, directP50: 800, gatewayP50: 900, round: 2),
            .. GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 2_000, directP50: 200, gatewayP50: 600, round: 3),
        ];

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "p50 added");

        Assert.Equal(0.2, check.Value!.Value, 9);
        Assert.Equal("median of 3 rounds: 0.200 ms (500 µs − 300 µs), 0.100 ms (900 µs − 800 µs), 0.400 ms (600 µs − 200 µs)", check.Detail);
    }

    [Fact]
    public void Compute_CellFailedInOneRound_ThatRoundIsLeftOutAndNamed()
    {
        var cells = GatewayBenchCells.Throughput64((10_000, 4_000), (10_000, 9_000), (10_000, 6_000))
            .Select(c => c is { Target: ProxyTarget.Gateway, Round: 2 } ? c with { Report = null, Error = "boom" } : c)
            .ToList();

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ direct");

        // Rounds 1 and 3 only: (0.40 + 0.60) / 2; round 2's 0.90 would make it 0.60.
        Assert.Equal(0.5, check.Value!.Value, 9);
        Assert.Equal("median of 2 of 3 rounds: 0.40× (4,000 ÷ 10,000 req/s), 0.60× (6,000 ÷ 10,000 req/s); left out: round 2: gateway c=64 did not run: boom", check.Detail);
    }

    [Fact]
    public void Compute_NoRoundHasBothCells_NoValueAndSaysWhyForEachRound()
    {
        var cells = GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 1_000, directP50: 300, gatewayP50: 400, round: 1)
            .Concat(GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 1_000, directP50: 300, gatewayP50: 400, round: 2))
            .Concat(GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 1_000, directP50: 300, gatewayP50: 400, round: 3))
            .Select(c => c.Target == ProxyTarget.Nginx ? c with { Report = null, Skipped = "not installed" } : c)
            .Select(c => c is { Target: ProxyTarget.Gateway, Round: 3 } ? c with { Report = null, Error = "boom" } : c)
            .ToList();

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ nginx");

        Assert.Null(check.Value);
        Assert.Equal("n/a", check.Verdict);
        Assert.Equal("no round has both cells: rounds 1, 2: nginx c=64 skipped: not installed; round 3: gateway c=64 did not run: boom", check.Detail);
    }

    [Fact]
    public void Compute_TargetNotInTheRun_SaidOnceNotPerRound()
    {
        var cells = GatewayBenchCells.Throughput64((10_000, 4_000), (10_000, 9_000), (10_000, 6_000));

        var check = Find(GatewayBenchChecks.Compute(cells), "grpc", "gateway ÷ nginx");

        Assert.Null(check.Value);
        Assert.Equal("a cell it needs was not in this run", check.Detail);
    }

    private static GatewayBenchCheck Find(IReadOnlyList<GatewayBenchCheck> checks, string protocol, string name) =>
        Assert.Single(checks, c => c.Protocol == protocol && c.Name.StartsWith(name, StringComparison.Ordinal));
}
