#if LOADTEST_PLOT
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Serving.LoadTests.Reporting;

/// <summary>
/// Draws the latency distribution the way HdrHistogram's plotter does: x is the number of nines of the
/// percentile (0 = p0, 2 = p99, 3 = p99.9), so the tail gets as much room as the median.
/// </summary>
internal static class LatencyPlotRenderer
{
    /// <summary>Writes a 1000×560 PNG of <paramref name="report"/>'s latency distribution.</summary>
    public static void Render(LoadReport report, string path)
    {
        var (nines, millis) = LatencyPlotSeries.From(report);

        var plot = new Plot();
        var line = plot.Add.Scatter(nines, millis);
        line.LegendText = report.ServiceTime is null ? "latency" : "latency from intended send";
        line.MarkerSize = 0;
        plot.Axes.Bottom.TickGenerator = new NumericManual(
            [0, 1, 2, 3, 4, 5],
            ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]);
        plot.XLabel("percentile");
        plot.YLabel("latency (ms)");
        plot.Title($"{report.Protocol} → {report.Target} `{report.Model}`, {report.Mode} model: "
            + $"{Format.Int(report.RequestsPerSecond)} req/s, p99 {Format.Micros(report.Latency.P99Micros)}");
        plot.Axes.SetLimitsX(0, LatencyPlotSeries.MaxNines + 0.2);
        plot.Axes.SetLimitsY(0, Math.Max(millis.DefaultIfEmpty(0).Max() * 1.05, 0.1));
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1000, 560);
    }
}
#endif
