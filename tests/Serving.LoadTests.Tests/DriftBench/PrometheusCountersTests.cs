using Serving.LoadTests.DriftBench;

namespace Serving.LoadTests.Tests.DriftBench;

public sealed class PrometheusCountersTests
{
    private const string Text = """
        # HELP serving_prediction_logs_dropped_total Records not queued.
        # TYPE serving_prediction_logs_dropped_total counter
        serving_prediction_logs_dropped_total{reason="queue_full"} 7
        serving_prediction_logs_dropped_total{reason="error"} 2
        serving_prediction_logs_enqueued_total 1500
        serving_prediction_logs_enqueued_total_extra 99
        serving_prediction_logs_acked_total 1.2e3 1700000000000
        """;

    [Theory]
    [InlineData("serving_prediction_logs_dropped_total", 9)]
    [InlineData("serving_prediction_logs_enqueued_total", 1500)]
    [InlineData("serving_prediction_logs_acked_total", 1200)]
    [InlineData("serving_prediction_logs_sent_total", 0)]
    public void Sum_AddsEverySeriesOfExactlyThatMetric(string metric, double expected) =>
        Assert.Equal(expected, PrometheusCounters.Sum(Text, metric));

    [Fact]
    public void LoggingStats_Between_IsTheDifferenceOfTwoScrapes()
    {
        var after = Text.Replace("1500", "2500", StringComparison.Ordinal).Replace("} 7", "} 10", StringComparison.Ordinal);

        var stats = LoggingStats.Between(Text, after);

        Assert.Equal(new LoggingStats(1000, 3, 0, 0, 0), stats);
    }
}
