namespace Serving.LoadTests.Reporting;

/// <summary>
/// The latency distribution as a PNG (percentile on a "nines" axis, as HdrHistogram plots it), in builds that
/// define LOADTEST_PLOT (the project does: ScottPlot's SkiaSharp pins are in Directory.Packages.props).
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
        _ = report;
        _ = path;
        reason = "this build has no plotting (LOADTEST_PLOT is not defined)";
        return false;
#endif
    }
}
