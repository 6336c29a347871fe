using HdrHistogram;

namespace Serving.LoadTests.Reporting;

/// <summary>Latency percentiles in microseconds.</summary>
internal sealed record LatencySummary(long Count, long MinMicros, double MeanMicros, long P50Micros, long P90Micros, long P99Micros, long P999Micros, long MaxMicros)
{
    /// <summary>The summary of <paramref name="histogram"/>; zeros when it is empty.</summary>
    public static LatencySummary From(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return new LatencySummary(0, 0, 0, 0, 0, 0, 0, 0);
        }

        var min = histogram.RecordedValues().First().ValueIteratedTo;
        return new LatencySummary(
            histogram.TotalCount,
            histogram.LowestEquivalentValue(min),
            Math.Round(histogram.GetMean(), 1),
            histogram.GetValueAtPercentile(50),
            histogram.GetValueAtPercentile(90),
            histogram.GetValueAtPercentile(99),
            histogram.GetValueAtPercentile(99.9),
            histogram.GetMaxValue());
    }
}
