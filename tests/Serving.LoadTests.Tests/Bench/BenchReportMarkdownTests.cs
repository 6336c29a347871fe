using Serving.LoadTests.Bench;
using Serving.LoadTests.H2Load;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Bench;

public sealed class BenchReportMarkdownTests
{
    [Fact]
    public void Render_Ratios_ShowValueTargetAndVerdict()
    {
        var text = BenchReportMarkdown.Render(Report());

        Assert.Contains("## Ratios (closed model at concurrency 64, rows/s)", text, StringComparison.Ordinal);
        Assert.Contains("| m | serving efficiency | 0.60× | ≥ 0.7 | MISS |", text, StringComparison.Ordinal);
        Assert.Contains("| m | vs naive | 4.00× | ≥ 3 | PASS |", text, StringComparison.Ordinal);
        Assert.Contains("| m | p99 at half of peak | 5,000 µs | ≤ 6,000 µs | PASS |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Header_NamesTheGc_WhenRecorded()
    {
        const string gc = "server GC, up to 2 heaps, gen0 floor 32 MiB (DOTNET_GCgen0size=0x2000000)";
        var report = Report();

        var recorded = BenchReportMarkdown.Render(report with { Machine = report.Machine with { Gc = gc } });
        var old = BenchReportMarkdown.Render(report);

        Assert.Contains($"(estimated 5m20s) · {gc}", recorded, StringComparison.Ordinal);
        Assert.DoesNotContain("GC", old.Split('\n')[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Cells_ListEveryServerWithBatchStatsForTheBatchedWorker()
    {
        var text = BenchReportMarkdown.Render(Report());

        Assert.Contains("| worker, batching on | 64 | 12,000 |", text, StringComparison.Ordinal);
        Assert.Contains("| 48.5 | 1,900 µs | 300 µs |", text, StringComparison.Ordinal);
        Assert.Contains("| naive server | 64 | 3,000 |", text, StringComparison.Ordinal);
        Assert.Contains("(2 tries)", text, StringComparison.Ordinal);
        Assert.Contains("| worker, batching off | 64 | did not run: boom \\| bang |", text, StringComparison.Ordinal);
        Assert.Contains("compute-bound: raw ORT 150.0 µs per row at batch 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_GeneratorCheck_ShowsBothGeneratorsAndTheirCpu()
    {
        var text = BenchReportMarkdown.Render(Report());

        Assert.Contains("| h2load (C, another process) | 40,000 | 1.00 |", text, StringComparison.Ordinal);
        Assert.Contains("| serving-loadtest (raw-h2, in-process) | 20,000 | 0.50 |", text, StringComparison.Ordinal);
        Assert.Contains("5.0 µs |", text, StringComparison.Ordinal); // h2load: 0.2 cores ÷ 40,000 req/s
        Assert.Contains("≈ 25.0 µs", text, StringComparison.Ordinal); // ours: 50 µs per call − the server's 25 µs
    }

    [Fact]
    public void Render_Header_StatesTheRetryRule()
    {
        var text = BenchReportMarkdown.Render(Report());

        Assert.Contains("more than 0.25 cores ran again (up to 1 more time(s))", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_RoundTrip_RendersTheSameReport()
    {
        var report = Tuned(Report());

        var json = System.Text.Json.JsonSerializer.Serialize(report, Serving.LoadTests.Reporting.ReportJsonContext.Default.BenchReport);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, Serving.LoadTests.Reporting.ReportJsonContext.Default.BenchReport)!;

        Assert.Contains("\"arm\": \"worker-batching\"", json, StringComparison.Ordinal);
        Assert.Equal(BenchReportMarkdown.Render(report), BenchReportMarkdown.Render(back));
    }

    [Fact]
    public void Render_ModelSettings_ListedUnderTheModelWithEveryRawOrtRun()
    {
        var text = BenchReportMarkdown.Render(Tuned(Report()));

        Assert.Contains("Worker model.yaml: `max_batch_size: 32`, `dynamic_batching: { max_queue_delay_us: 2000, instances: 2, max_queue_size: 1024 }`, `runtime: { intra_op_threads: 1 }`.", text, StringComparison.Ordinal);
        Assert.Contains("| 32 | 2 | 1 | 30,000 |", text, StringComparison.Ordinal);
        Assert.Contains("| 64 | 1 | ORT default | 30,000 |", text, StringComparison.Ordinal);
        Assert.DoesNotContain("with those given on the command line", text, StringComparison.Ordinal);
        Assert.Contains("with those given on the command line over them", BenchReportMarkdown.Render(Report() with { Batching = new BatchingOverrides(Instances: 2) }), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_ArrivalGap_ListedWithTheDelay()
    {
        var model = Report().Models[0];
        var text = BenchReportMarkdown.Render(Report() with { Models = [model with { Batching = new BatchingConfig(64, 300, 1, 0, 60) }] });

        Assert.Contains("`dynamic_batching: { max_queue_delay_us: 300, arrival_gap_us: 60, instances: 1, max_queue_size: 1024 }`", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_StoppedEarly_SaysSo()
    {
        var text = BenchReportMarkdown.Render(Report() with { StoppedEarly = "cancelled" });

        Assert.Contains("**Stopped early:** cancelled.", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnoptimizedWorker_Warns()
    {
        var report = Report();
        var text = BenchReportMarkdown.Render(report with { Machine = report.Machine with { WorkerOptimized = false } });

        Assert.Contains("unoptimized (Debug)", text, StringComparison.Ordinal);
    }

    private static BenchReport Report()
    {
        var model = Reports.Model(
            Reports.RawOrt(150, 30_000, 2_000),
            Reports.Closed(BenchArm.WorkerBatching, 64, 12_000) with { Batching = new BatchingStats(250, 48.5, 1_900, 300, 0) },
            new BenchCell(BenchArm.WorkerUnbatched, "closed", 64, null, null, "boom | bang", null),
            Reports.Closed(BenchArm.Naive, 64, 3_000) with { Attempts = 2 },
            Reports.Closed(BenchArm.Echo, 64, 20_000),
            Reports.Open(BenchArm.WorkerBatching, 6_000, 5_000)) with { Batching = new BatchingConfig(64, 0) };
        var ours = Reports.Load(20_000) with { ProcessCpuMicrosPerCall = 50 };
        return new BenchReport
        {
            StartedAt = DateTimeOffset.UnixEpoch,
            TotalSeconds = 300,
            EstimatedSeconds = 320,
            Machine = new BenchMachine(2, "cpu", ".NET", "1.0", true, true),
            GrpcClient = "raw-h2",
            DurationSeconds = 5,
            WarmupSeconds = 2,
            Concurrencies = [64],
            ReferenceConcurrency = 64,
            NoisyRetries = 1,
            NoisyThresholdCores = 0.25,
            Models = [model],
            Ratios = BenchRatios.Compute(model, 64, 2),
            GeneratorCheck = new GeneratorCheckResult("m", 1, 64, 5, new H2LoadResult(40_000, 1, 0, 0, 1, 1, 1, 1_000, 1), 0.2, 1.0, [ours], null),
        };
    }

    /// <summary>The report's model as a tuned model.yaml runs it: two instances of one thread, with raw ORT's two-caller run.</summary>
    private static BenchReport Tuned(BenchReport report)
    {
        var model = report.Models[0];
        var raw = model.RawOrt! with { Results = [.. model.RawOrt!.Results, Reports.RawResult(32, 30_000, 2_100, callers: 2, threads: 1)] };
        return report with { Models = [model with { RawOrt = raw, Batching = new BatchingConfig(32, 2_000, 2, 1) }] };
    }
}
