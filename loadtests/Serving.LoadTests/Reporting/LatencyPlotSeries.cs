namespace Serving.LoadTests.Reporting;

/// <summary>
/// The line the latency plot draws: x is the number of nines of each percentile (0 = p0, 2 = p99, 3 = p99.9),
/// as HdrHistogram plots it, y the latency in milliseconds.
/// </summary>
internal sealed record LatencyPlotSeries(double[] Nines, double[] Millis)
{
    /// <summary>The rightmost x: 99.999%.</summary>
    public const double MaxNines = 5;

    /// <summary>The series of <paramref name="report"/>'s latency distribution, ending at its max.</summary>
    public static LatencyPlotSeries From(LoadReport report)
    {
        var points = report.LatencyDistribution;
        var nines = new double[points.Count];
        var millis = new double[points.Count];

        // 100% has no place on a nines axis: the slowest calls go where one call in Count sits, so the line ends at the max.
        var slowest = Math.Log10(Math.Max(report.Latency.Count, 1));
        for (var i = 0; i < points.Count; i++)
        {
            var x = points[i].Percentile < 100 ? -Math.Log10(1 - (points[i].Percentile / 100)) : slowest;
            nines[i] = Math.Max(Math.Min(x, MaxNines), i > 0 ? nines[i - 1] : 0);
            millis[i] = points[i].Micros / 1000.0;
        }

        return new LatencyPlotSeries(nines, millis);
    }
}
