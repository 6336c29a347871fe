using Serving.LoadTests.Generator;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Reporting;

/// <summary>The line <c>--plot</c> draws reaches the slowest call the report prints as its max.</summary>
public sealed class LatencyPlotSeriesTests
{
    [Fact]
    public void From_OneSlowCallAmongMany_EndsAtTheReportsMax()
    {
        var report = ReportOf(Enumerable.Repeat(1_000L, 4_999).Append(19_600));

        var series = LatencyPlotSeries.From(report);

        Assert.Equal(report.Latency.MaxMicros / 1000.0, series.Millis[^1]);
        Assert.Equal(series.Millis.Max(), series.Millis[^1]);
        AssertNinesRise(series);
    }

    [Fact]
    public void From_TailPastFiveNines_EndsAtTheReportsMaxAtTheAxisEnd()
    {
        var report = ReportOf(Enumerable.Range(1, 300_000).Select(i => (long)i));

        var series = LatencyPlotSeries.From(report);

        Assert.Equal(report.Latency.MaxMicros / 1000.0, series.Millis[^1]);
        Assert.Equal(LatencyPlotSeries.MaxNines, series.Nines[^1]);
        AssertNinesRise(series);
    }

    [Fact]
    public void From_NoCalls_Empty()
    {
        var series = LatencyPlotSeries.From(ReportOf([]));

        Assert.Empty(series.Nines);
        Assert.Empty(series.Millis);
    }

    private static LoadReport ReportOf(IEnumerable<long> micros)
    {
        var recorder = new LatencyRecorder();
        foreach (var m in micros)
        {
            recorder.Record(m);
        }

        recorder.TakeInterval();
        return Reports.Load(100) with
        {
            Latency = LatencySummary.From(recorder.Cumulative),
            LatencyDistribution = PercentilePoint.From(recorder.Cumulative),
        };
    }

    private static void AssertNinesRise(LatencyPlotSeries series)
    {
        Assert.Equal(series.Nines.Length, series.Millis.Length);
        for (var i = 1; i < series.Nines.Length; i++)
        {
            Assert.True(series.Nines[i] >= series.Nines[i - 1], $"x falls at point {i}: {series.Nines[i - 1]} then {series.Nines[i]}");
            Assert.True(series.Millis[i] >= series.Millis[i - 1], $"y falls at point {i}");
        }
    }
}
