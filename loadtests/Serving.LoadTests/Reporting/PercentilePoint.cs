using HdrHistogram;

namespace Serving.LoadTests.Reporting;

/// <summary>One point of the latency distribution: <paramref name="Percentile"/> of calls took at most <paramref name="Micros"/>.</summary>
internal sealed record PercentilePoint(double Percentile, long Micros)
{
    /// <summary>The distribution with 5 points per halving of the remaining tail, as HdrHistogram plots it.</summary>
    public static IReadOnlyList<PercentilePoint> From(HistogramBase histogram) =>
        histogram.TotalCount == 0
            ? []
            : histogram.Percentiles(5).Select(v => new PercentilePoint(Math.Round(v.Percentile, 4), v.ValueIteratedTo)).ToList();
}
