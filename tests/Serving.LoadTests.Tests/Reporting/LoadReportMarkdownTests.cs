using Serving.LoadTests.Generator;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Reporting;

public sealed class LoadReportMarkdownTests
{
    [Fact]
    public void Render_ClosedModel_ShowsShapeThroughputAndLatency()
    {
        var md = Reports.Load(12_345.6, p99Micros: 20_000).ToMarkdown();

        Assert.Contains("closed model, concurrency 64", md, StringComparison.Ordinal);
        Assert.Contains("| 12,346 req/s | 12,346 |", md, StringComparison.Ordinal);
        Assert.Contains("| per call |", md, StringComparison.Ordinal);
        Assert.Contains("20.0 ms", md, StringComparison.Ordinal); // p99 above 10 ms switches to ms
        Assert.Contains("No errors.", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_OpenModel_ShowsOfferedAndBothLatencies()
    {
        var md = Reports.Load(1_000, mode: "open", rate: 1_000) with { Offered = 5_000 };

        var text = md.ToMarkdown();

        Assert.Contains("open model, 1,000 req/s", text, StringComparison.Ordinal);
        Assert.Contains("offered", text, StringComparison.Ordinal);
        Assert.Contains("| from intended send |", text, StringComparison.Ordinal);
        Assert.Contains("| from actual send |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Errors_EscapesPipesInMessagesAndShowsShare()
    {
        var text = Reports.Load(100, failed: 500).ToMarkdown();

        Assert.Contains("queue \\| full", text, StringComparison.Ordinal);
        Assert.Contains("| grpc | Unavailable | 500 | 50.00% |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Cpu_ShowsProcessAndOthers()
    {
        var text = (Reports.Load(100) with { ProcessCpuCores = 1.25, OtherCpuCores = 0.5, ProcessCpuMicrosPerCall = 42 }).ToMarkdown();

        Assert.Contains("42 µs CPU per call", text, StringComparison.Ordinal);
        Assert.Contains("1.25 cores used by this process, 0.50 by others", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Gc_IsShownWhenRecorded()
    {
        var recorded = (Reports.Load(100) with { Gc = new GcUsage(230, 2, 0, 0.065) }).ToMarkdown();
        var old = Reports.Load(100).ToMarkdown();

        Assert.Contains("GC paused this process 6.5% (230 / 2 / 0)", recorded, StringComparison.Ordinal);
        Assert.DoesNotContain("GC paused", old, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(999, "999 µs")]
    [InlineData(9_999, "9,999 µs")]
    [InlineData(10_000, "10.0 ms")]
    [InlineData(123_456, "123.5 ms")]
    public void Micros_Thresholds_AreReadable(double micros, string expected)
    {
        Assert.Equal(expected, Format.Micros(micros));
    }
}
