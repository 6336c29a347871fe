using System.Text.Json;
using Serving.LoadTests.GatewayBench;

namespace Serving.LoadTests.Tests.GatewayBench;

public sealed class GatewayBenchMarkdownTests
{
    [Fact]
    public void Render_Targets_ShowValueTargetVerdictAndFigures()
    {
        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(FullRun()));

        Assert.Contains("| gRPC | gateway ÷ direct throughput, c=64 | 0.60× | ≥ 0.5× | PASS | 6,000 ÷ 10,000 req/s |", text, StringComparison.Ordinal);
        Assert.Contains("| gRPC | gateway ÷ nginx throughput, c=64 | 3.00× | ≥ 2.0× | PASS | 6,000 ÷ 2,000 req/s |", text, StringComparison.Ordinal);
        Assert.Contains("| gRPC | p50 added by the gateway, c=1 | 0.200 ms | ≤ 0.3 ms | PASS | 500 µs − 300 µs |", text, StringComparison.Ordinal);
        Assert.Contains("| REST JSON | gateway ÷ nginx throughput, c=64 | 0.50× | ≥ 2.0× | MISS | 2,000 ÷ 4,000 req/s |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Cells_ThroughputPercentilesRequestsErrorsAndCpu()
    {
        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(FullRun()));

        // 6,000 req/s for 5 s; p50 20 ms, p90 40 ms, p99 80 ms; CPU 1.5 here, 0.25 elsewhere.
        Assert.Contains("| gRPC | 64 | Serving gateway → worker | 6,000 | 20.0 ms | 40.0 ms | 80.0 ms | 30,000 | 0 | 1.50 | 0.25 |", text, StringComparison.Ordinal);
        Assert.Contains("| REST JSON | 1 | worker direct | 5,000 | 200 µs | 400 µs | 800 µs | 25,000 | 0 |", text, StringComparison.Ordinal);
        Assert.Equal(12, System.Text.RegularExpressions.Regex.Matches(text, @"^\| (gRPC|REST JSON) \| (1|64) \| ", System.Text.RegularExpressions.RegexOptions.Multiline).Count);
    }

    [Fact]
    public void Render_ACellThatRanTwice_IsMarked_AndTheNoteSaysWhy()
    {
        var once = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(FullRun()));
        var cells = FullRun().Select(c => c is { Target: ProxyTarget.Gateway, Concurrency: 1, Protocol: "grpc" } ? c with { Attempts = 2 } : c).ToList();

        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(cells));

        Assert.Contains("| gRPC | 1 | Serving gateway → worker (ran twice) | ", text, StringComparison.Ordinal);
        Assert.Contains("A cell marked (ran twice) completed no request in its window the first time", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ran twice", once, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TheGatewaysRestHop_NamedWhenTheGatewayRan()
    {
        var withHop = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(FullRun()) with { GatewayRestToWorkers = "Http11" });
        var without = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(FullRun()));

        Assert.Contains("The gateway forwards REST to the worker with `RestToWorkers: Http11`", withHop, StringComparison.Ordinal);
        Assert.DoesNotContain("RestToWorkers", without, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FailedRequests_CountedWithTheirKind()
    {
        var cells = FullRun().Select(c => c is { Target: ProxyTarget.Gateway, Concurrency: 64, Protocol: "grpc" }
            ? GatewayBenchCells.Measured(ProxyTarget.Gateway, "grpc", 64, 6_000, 20_000, failed: 7)
            : c).ToList();

        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(cells));

        Assert.Contains("| 30,007 | 7 (grpc Unavailable ×7) |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NginxAbsent_CellsSkippedWithTheInstallHint()
    {
        var cells = FullRun().Select(c => c.Target == ProxyTarget.Nginx ? c with { Report = null, Skipped = NginxBinary.InstallHint } : c).ToList();
        var nginx = new NginxRun(null, "auto", null, NginxBinary.InstallHint, null);

        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(cells, nginx));

        Assert.Contains("| gRPC | 64 | nginx → worker | skipped: nginx is not installed: install it with `apt-get install nginx`", text, StringComparison.Ordinal);
        Assert.Contains("nginx cells skipped: nginx is not installed", text, StringComparison.Ordinal);
        Assert.Contains("| gRPC | gateway ÷ nginx throughput, c=64 | n/a | ≥ 2.0× | n/a |", text, StringComparison.Ordinal);
        Assert.DoesNotContain("## nginx.conf", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_CellThatDidNotRun_ShowsTheErrorEscaped()
    {
        var cells = FullRun().Select(c => c.Target == ProxyTarget.Gateway ? c with { Report = null, Error = "a | b\nc" } : c).ToList();

        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(cells));

        Assert.Contains("| gRPC | 1 | Serving gateway → worker | did not run: a \\| b c |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Header_SettingsNginxVersionAndStoppedEarly()
    {
        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(FullRun(), stoppedEarly: "cancelled"));

        Assert.StartsWith("# Gateway bench: tabular v2, worker direct vs Serving gateway vs nginx", text, StringComparison.Ordinal);
        Assert.Contains("nginx/1.22.1 runs as a child process (`worker_processes auto`", text, StringComparison.Ordinal);
        Assert.Contains("1 s warm-up + 10 s measured", text, StringComparison.Ordinal);
        Assert.Contains("**Stopped early:** cancelled.", text, StringComparison.Ordinal);
        Assert.Contains("```nginx\nworker_processes auto;\n```", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_RoundTrip_KeepsCellsChecksAndVerdicts()
    {
        var report = GatewayBenchCells.Report(FullRun());

        var json = JsonSerializer.Serialize(report, GatewayBenchJsonContext.Default.GatewayBenchReport);
        var back = JsonSerializer.Deserialize(json, GatewayBenchJsonContext.Default.GatewayBenchReport)!;

        Assert.Contains("\"target\": \"Gateway\"", json, StringComparison.Ordinal);
        Assert.Contains("\"verdict\": \"PASS\"", json, StringComparison.Ordinal);
        Assert.Equal(12, back.Cells.Count);
        Assert.Equal(GatewayBenchMarkdown.Render(report), GatewayBenchMarkdown.Render(back));
    }

    [Fact]
    public void Render_OneRound_NoRoundColumnAndNoWordOfRounds()
    {
        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(FullRun()));

        Assert.Contains("| protocol | c | target | req/s |", text, StringComparison.Ordinal);
        Assert.Contains("| --- | ---: | --- | ---: |", text, StringComparison.Ordinal);
        Assert.DoesNotContain("round", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Render_TwoRounds_RoundColumnOnEveryRow_AndTheHeaderSaysHowManyAndTheOrder()
    {
        List<GatewayBenchCell> cells =
        [
            .. GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 2_000, directP50: 300, gatewayP50: 500, round: 1),
            .. GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 5_000, nginx64: 2_000, directP50: 300, gatewayP50: 500, round: 2)
                .Select(c => c.Target == ProxyTarget.Gateway ? c with { Report = null, Error = "boom" } : c)
                .Reverse(),
        ];

        var text = GatewayBenchMarkdown.Render(GatewayBenchCells.Report(cells));

        Assert.Contains("| protocol | c | round | target | req/s |", text, StringComparison.Ordinal);
        Assert.Contains("| --- | ---: | ---: | --- | ---: |", text, StringComparison.Ordinal);
        Assert.Contains("| gRPC | 64 | 1 | Serving gateway → worker | 6,000 | 20.0 ms |", text, StringComparison.Ordinal);
        Assert.Contains("| gRPC | 64 | 2 | Serving gateway → worker | did not run: boom |", text, StringComparison.Ordinal);
        Assert.Contains("| gRPC | 1 | 2 | worker direct | 5,000 |", text, StringComparison.Ordinal);
        Assert.Contains("ran 2 rounds in a row", text, StringComparison.Ordinal);
        Assert.Contains("(direct, gateway, nginx, then nginx, gateway, direct, …)", text, StringComparison.Ordinal);
        Assert.Contains("| gRPC | gateway ÷ direct throughput, c=64 | 0.60× | ≥ 0.5× | PASS | 1 of 2 rounds: 0.60× (6,000 ÷ 10,000 req/s); left out: round 2: gateway c=64 did not run: boom |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_RoundTrip_KeepsEachCellsRound()
    {
        var report = GatewayBenchCells.Report([
            .. GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 2_000, directP50: 300, gatewayP50: 500, round: 1),
            .. GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 5_000, nginx64: 2_000, directP50: 300, gatewayP50: 500, round: 2),
        ]);

        var json = JsonSerializer.Serialize(report, GatewayBenchJsonContext.Default.GatewayBenchReport);
        var back = JsonSerializer.Deserialize(json, GatewayBenchJsonContext.Default.GatewayBenchReport)!;

        Assert.Contains("\"round\": 2", json, StringComparison.Ordinal);
        Assert.Contains("\"rounds\": 2", json, StringComparison.Ordinal);
        Assert.Equal([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2], back.Cells.Select(c => c.Round));
        Assert.Equal(GatewayBenchMarkdown.Render(report), GatewayBenchMarkdown.Render(back));
    }

    private static List<GatewayBenchCell> FullRun() =>
    [
        .. GatewayBenchCells.Protocol("grpc", direct64: 10_000, gateway64: 6_000, nginx64: 2_000, directP50: 300, gatewayP50: 500),
        .. GatewayBenchCells.Protocol("rest-json", direct64: 8_000, gateway64: 2_000, nginx64: 4_000, directP50: 200, gatewayP50: 700),
    ];
}
