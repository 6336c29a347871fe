#if LOADTEST_PLOT
using ScottPlot;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Bench;

/// <summary>PNGs of a bench: per model, rows/s and p99 against concurrency for each server, and the open model's latency distribution.</summary>
internal static class BenchPlots
{
    /// <summary>Writes the plots into <paramref name="directory"/> and returns their paths.</summary>
    public static IReadOnlyList<string> Write(BenchReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var model in report.Models)
        {
            written.Add(Lines(model, directory, "throughput", "rows/s", r => r.RowsPerSecond));
            written.Add(Lines(model, directory, "p99", "p99 latency (ms)", r => r.Latency.P99Micros / 1000.0));
            foreach (var cell in model.Cells.Where(c => c.Mode == "open" && c.Report is not null))
            {
                var path = Path.Combine(directory, $"{model.Model}-open-{cell.Arm.ToName()}.png");
                LatencyPlotRenderer.Render(cell.Report!, path);
                written.Add(path);
            }
        }

        return written;
    }

    private static string Lines(BenchModelResult model, string directory, string name, string yLabel, Func<LoadReport, double> y)
    {
        var plot = new Plot();
        foreach (var arm in BenchArms.All)
        {
            var cells = model.Cells.Where(c => c.Arm == arm && c.Mode == "closed" && c.Report is not null).OrderBy(c => c.Concurrency).ToArray();
            if (cells.Length == 0)
            {
                continue;
            }

            var line = plot.Add.Scatter(cells.Select(c => Math.Log2(c.Concurrency!.Value)).ToArray(), cells.Select(c => y(c.Report!)).ToArray());
            line.LegendText = arm.ToLabel();
        }

        var concurrencies = model.Cells.Where(c => c.Concurrency is not null).Select(c => c.Concurrency!.Value).Distinct().Order().ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            concurrencies.Select(c => Math.Log2(c)).ToArray(), concurrencies.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.XLabel("concurrency (closed model)");
        plot.YLabel(yLabel);
        plot.Title($"{model.Model}: {name} by server, gRPC");
        plot.ShowLegend(Alignment.UpperLeft);
        var path = Path.Combine(directory, $"{model.Model}-{name}.png");
        plot.SavePng(path, 900, 520);
        return path;
    }
}
#endif
