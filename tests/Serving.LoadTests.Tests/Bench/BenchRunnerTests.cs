using Serving.LoadTests.Bench;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Bench;

/// <summary>One short real bench: real ONNX Runtime, the real worker and echo server in-process, real gRPC. Nothing about time is asserted.</summary>
public sealed class BenchRunnerTests
{
    /// <summary>One-second cells at concurrency 4 on tabular, the batched worker only, no retries, no h2load, no paired check.</summary>
    private static readonly BenchOptions Short = new()
    {
        Duration = TimeSpan.FromSeconds(1),
        Warmup = TimeSpan.Zero,
        ServerWarmup = TimeSpan.Zero,
        Concurrencies = [4],
        Models = ["tabular"],
        Arms = [BenchArm.WorkerBatching],
        NoisyRetries = 0,
        H2LoadCheck = false,
        PairedRounds = 0,
    };

    private static async Task<BenchReport> RunAsync(BenchOptions options)
    {
        options.Validate();
        var root = BenchModel.FindRepositoryRoot(AppContext.BaseDirectory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        return await new BenchRunner(options, new BenchProgress(BenchPlan.Cells(options), BenchPlan.Estimate(options))).RunAsync(root, timeout.Token);
    }

    [Fact]
    public async Task RunAsync_Short_PairedCheckTakesTurnsAbba_AndItsRatioUsesEveryRound()
    {
        var options = Short with { Arms = [BenchArm.WorkerBatching, BenchArm.Echo], PairedRounds = 2 };

        var report = await RunAsync(options);

        Assert.Null(report.StoppedEarly);
        var model = Assert.Single(report.Models);
        var paired = model.Cells.Where(c => c.Mode == "paired").ToList();
        Assert.Equal(
            [(1, BenchArm.Echo), (1, BenchArm.WorkerBatching), (2, BenchArm.WorkerBatching), (2, BenchArm.Echo)],
            paired.Select(c => (c.Round!.Value, c.Arm)));
        Assert.All(paired, c =>
        {
            Assert.Null(c.Error);
            Assert.Equal(4, c.Concurrency);
            Assert.True(c.Report!.Succeeded > 0, $"{c.Arm} round {c.Round}: no request succeeded");
            Assert.Equal(0, c.Report.Failed);
        });
        Assert.All(model.Paired(BenchArm.WorkerBatching), c => Assert.True(c.Batching is { Executions: > 0 }, "the batched worker's cell has no batcher figures"));

        // The main cells are still there, one closed cell per server, and the paired ones are not among them.
        Assert.Equal(4, model.Closed(BenchArm.WorkerBatching, 4)!.Concurrency);
        Assert.Equal(4, model.Closed(BenchArm.Echo, 4)!.Concurrency);
        Assert.Equal(2, model.Cells.Count(c => c.Mode == "closed"));

        var ratio = Assert.Single(report.Ratios, r => r.Name == "serving efficiency, paired");
        Assert.NotNull(ratio.Value);
        Assert.Contains("median over 2 round(s)", ratio.Detail, StringComparison.Ordinal);
        Assert.Equal(BenchPlan.Cells(options), model.Cells.Count(c => c.Mode is "closed" or "open" or "paired"));
    }

    [Fact]
    public async Task RunAsync_SeveralInstances_RawOrtRunsAsTheWorkerAndWithOrtDefaults()
    {
        var report = await RunAsync(Short with { Batching = new BatchingOverrides(Instances: 2, IntraOpThreads: 1) });

        var model = Assert.Single(report.Models);
        var own = OwnBatching.Config(BenchModel.FindRepositoryRoot(AppContext.BaseDirectory), "tabular");
        Assert.Equal(own with { Instances = 2, IntraOpThreads = 1 }, model.Batching); // tabular's own settings, the overrides over them
        Assert.Contains("instances: 2", model.ModelYaml, StringComparison.Ordinal);
        Assert.Contains("intra_op_threads: 1", model.ModelYaml, StringComparison.Ordinal);
        Assert.Equal(
            [(1, 1, 1), (64, 1, 1), (64, 2, 1), (64, 1, 0)],
            model.RawOrt!.Results.Select(r => (r.Batch, r.Callers, r.IntraOpThreads)));
        Assert.All(model.RawOrt.Results, r => Assert.True(r.Runs > 0 && r.RowsPerSecond > 0, $"batch {r.Batch} × {r.Callers} callers: no runs"));

        // Rows/s and the run count come from the same callers: both callers' runs are counted in each.
        var two = model.RawOrt.Results.Single(r => r.Callers == 2);
        Assert.InRange(two.RowsPerSecond / (two.Runs * 64.0 / two.Seconds), 0.97, 1.03);
        Assert.Same(two, model.RawFullBatch);

        var cell = model.Closed(BenchArm.WorkerBatching, 4)!;
        Assert.Null(cell.Error);
        Assert.True(cell.Batching is { Executions: > 0 }, "the worker ran no batch");
    }
}
