namespace Serving.LoadTests.Reporting;

/// <summary>
/// The latency distribution as a PNG (percentile on a "nines" axis, as HdrHistogram plots it). ScottPlot is
/// referenced only in builds with <c>-p:LoadTestPlot=true</c>, because it needs SkiaSharp pins in
/// Directory.Packages.props.
/// </summary>
internal static class LatencyPlot
{
    /// <summary>Writes the plot; false with the reason when this build cannot.</summary>
    public static bool TryWrite(LoadReport report, string path, out string? reason)
    {
#if LOADTEST_PLOT
        LatencyPlotRenderer.Render(report, path);
        reason = null;
        return true;
#else
        // TODO: enable once ScottPlot 5.1.59 and its SkiaSharp pins are in Directory.Packages.props (see LatencyPlotRenderer.cs).
        _ = report;
        _ = path;
        reason = "this build has no plotting; rebuild with -p:LoadTestPlot=true once ScottPlot is in Directory.Packages.props";
        return false;
#endif
    }
}
