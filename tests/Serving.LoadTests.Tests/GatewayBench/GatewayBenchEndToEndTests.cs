using Serving.LoadTests.Bench;
using Serving.LoadTests.GatewayBench;
using Xunit.Abstractions;

namespace Serving.LoadTests.Tests.GatewayBench;

/// <summary>The whole bench, briefly, against real servers: the worker, the gateway in front of it, and nginx.</summary>
[Collection(NginxCollection.Name)]
public sealed class GatewayBenchEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_ShortRun_EveryCellMeasuredWithoutErrorsAndReported()
    {
        var options = new GatewayBenchOptions
        {
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromMilliseconds(200),
            TargetWarmup = TimeSpan.FromMilliseconds(500),
        };
        options.Validate();
        _ = InstalledNginx.Path; // the nginx cells are measured, never skipped: fail here, saying how to install it

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var root = BenchModel.FindRepositoryRoot(AppContext.BaseDirectory);
        var report = await new GatewayBenchRunner(options, new GatewayBenchProgress(GatewayBenchPlan.Cells(options), GatewayBenchPlan.Estimate(options))).RunAsync(root, timeout.Token);
        var markdown = GatewayBenchMarkdown.Render(report);
        output.WriteLine(markdown);

        Assert.Null(report.StoppedEarly);
        Assert.Equal(12, report.Cells.Count);
        foreach (var protocol in new[] { "grpc", "rest-json" })
        {
            foreach (var concurrency in new[] { 1, 64 })
            {
                foreach (var target in ProxyTargets.All)
                {
                    var cell = Assert.Single(report.Cells, c => c.Target == target && c.Protocol == protocol && c.Concurrency == concurrency);
                    var label = $"{target.ToName()} {protocol} c={concurrency}";
                    Assert.True(cell.Error is null && cell.Skipped is null, $"{label}: {cell.Error}{cell.Skipped}");
                    Assert.True(cell.Report!.Succeeded > 0, $"{label}: no successful request");
                    Assert.True(cell.Report.Failed == 0, $"{label}: {cell.Report.Failed} failed: {string.Join(", ", cell.Report.Errors)}");
                    Assert.Contains($"| {GatewayBenchMarkdown.Protocol(protocol)} | {concurrency} | {target.ToLabel()} | ", markdown, StringComparison.Ordinal);
                }
            }
        }

        // Every check has a figure and a verdict; nothing is left behind.
        Assert.Equal(6, report.Checks.Count);
        Assert.All(report.Checks, c => Assert.Contains(c.Verdict, new[] { "PASS", "MISS" }));
        Assert.NotNull(report.Nginx?.Config);

        // The gateway's REST hop is the one it ran with: the gateway's default here.
        Assert.Equal("Auto", report.GatewayRestToWorkers);
        Assert.Contains("`RestToWorkers: Auto`", markdown, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateDirectories(Path.GetTempPath(), $"serving-gateway-bench-*{Environment.ProcessId}-*"));
    }
}
