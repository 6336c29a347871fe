using Serving.LoadTests.Bench;
using Serving.LoadTests.GatewayBench;
using Serving.LoadTests.Tests.TestSupport;
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
            Rounds = 2, // the fewest that show the order reversing; each round adds about 15 s here
        };
        options.Validate();
        _ = InstalledNginx.Path; // the nginx cells are measured, never skipped: fail here, saying how to install it

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var root = BenchModel.FindRepositoryRoot(AppContext.BaseDirectory);
        var report = await new GatewayBenchRunner(options, new GatewayBenchProgress(GatewayBenchPlan.Cells(options), GatewayBenchPlan.Estimate(options), options.Rounds)).RunAsync(root, timeout.Token);
        var markdown = GatewayBenchMarkdown.Render(report);
        output.WriteLine(markdown);

        Assert.Null(report.StoppedEarly);
        Assert.Equal(24, report.Cells.Count);

        // The worker serves tabular with its own model.yaml batching, and says so.
        Assert.Equal(OwnBatching.Of(root, "tabular"), report.WorkerBatching);
        Assert.Contains($"The worker batches with the model's own settings (`{report.WorkerBatching}`)", markdown, StringComparison.Ordinal);
        Assert.Equal(2, report.Rounds);
        foreach (var protocol in new[] { "grpc", "rest-json" })
        {
            foreach (var concurrency in new[] { 1, 64 })
            {
                foreach (var round in new[] { 1, 2 })
                {
                    foreach (var target in ProxyTargets.All)
                    {
                        var cell = Assert.Single(report.Cells, c => c.Target == target && c.Protocol == protocol && c.Concurrency == concurrency && c.Round == round);
                        var label = $"{target.ToName()} {protocol} c={concurrency} round {round}";
                        Assert.True(cell.Error is null && cell.Skipped is null, $"{label}: {cell.Error}{cell.Skipped}");
                        Assert.True(cell.Report!.Succeeded > 0, $"{label}: no successful request");
                        Assert.True(cell.Report.Failed == 0, $"{label}: {cell.Report.Failed} failed: {string.Join(", ", cell.Report.Errors)}");
                        Assert.Contains($"| {GatewayBenchMarkdown.Protocol(protocol)} | {concurrency} | {round} | {target.ToLabel()} | ", markdown, StringComparison.Ordinal);
                    }
                }
            }
        }

        // Each group's rounds ran one after the other, the targets in turn, reversed in round 2.
        var direct = ProxyTarget.Direct;
        var gateway = ProxyTarget.Gateway;
        var nginx = ProxyTarget.Nginx;
        Assert.Equal([direct, gateway, nginx, nginx, gateway, direct], report.Cells.Take(6).Select(c => c.Target));
        Assert.Equal([1, 1, 1, 2, 2, 2], report.Cells.Take(6).Select(c => c.Round));
        Assert.All(report.Cells.Take(6), c => Assert.Equal(("grpc", 1), (c.Protocol, c.Concurrency)));

        // Every check has a figure from both rounds and a verdict; nothing is left behind.
        Assert.Equal(6, report.Checks.Count);
        Assert.All(report.Checks, c => Assert.Contains(c.Verdict, new[] { "PASS", "MISS" }));
        Assert.All(report.Checks, c => Assert.StartsWith("median of 2 rounds: ", c.Detail, StringComparison.Ordinal));
        Assert.NotNull(report.Nginx?.Config);

        // The gateway's REST hop is the one it ran with: the gateway's default here.
        Assert.Equal("Auto", report.GatewayRestToWorkers);
        Assert.Contains("`RestToWorkers: Auto`", markdown, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateDirectories(Path.GetTempPath(), $"serving-gateway-bench-*{Environment.ProcessId}-*"));
    }
}
