using Serving.LoadTests.Bench;

namespace Serving.LoadTests.Tests.Bench;

public sealed class PrometheusTextTests
{
    private const string Scrape = """
        # HELP serving_batch_size Rows per executed batch.
        # TYPE serving_batch_size histogram
        serving_batch_size_sum{model="bench_mlp",version="1"} 1200
        serving_batch_size_count{model="bench_mlp",version="1"} 40
        serving_batch_size_bucket{model="bench_mlp",version="1",le="64"} 40
        serving_batch_size_sum{model="bench_mlp",version="2"} 300
        serving_batch_size_count{model="bench_mlp",version="2"} 10
        serving_batch_size_sum{model="tabular",version="2"} 99
        serving_batch_size_sum_extra{model="bench_mlp",version="1"} 5
        serving_batch_executions_total{model="bench_mlp",version="1"} 40 1700000000000
        serving_batch_executions_total{model="bench_mlp_v2",version="1"} 7
        """;

    [Fact]
    public void Sum_SeriesOfTheModel_SumsEveryVersion()
    {
        Assert.Equal(1500, PrometheusText.Sum(Scrape, "serving_batch_size_sum", "bench_mlp"));
        Assert.Equal(50, PrometheusText.Sum(Scrape, "serving_batch_size_count", "bench_mlp"));
    }

    [Fact]
    public void Sum_OtherModelsAndLongerNames_AreNotCounted()
    {
        Assert.Equal(99, PrometheusText.Sum(Scrape, "serving_batch_size_sum", "tabular"));
        Assert.Equal(40, PrometheusText.Sum(Scrape, "serving_batch_executions_total", "bench_mlp"));
    }

    [Fact]
    public void Sum_NoSeries_IsZero()
    {
        Assert.Equal(0, PrometheusText.Sum(Scrape, "serving_batch_rejected_total", "bench_mlp"));
        Assert.Equal(0, PrometheusText.Sum(string.Empty, "serving_batch_size_sum", "bench_mlp"));
    }

    [Fact]
    public void BatchingStats_Between_AreTheDeltasOfTheCell()
    {
        const string before = """
            serving_batch_size_sum{model="m",version="1"} 100
            serving_batch_size_count{model="m",version="1"} 100
            serving_batch_compute_duration_seconds_sum{model="m",version="1"} 0.5
            serving_batch_compute_duration_seconds_count{model="m",version="1"} 100
            serving_batch_executions_total{model="m",version="1"} 100
            """;
        const string after = """
            serving_batch_size_sum{model="m",version="1"} 6500
            serving_batch_size_count{model="m",version="1"} 200
            serving_batch_compute_duration_seconds_sum{model="m",version="1"} 0.7
            serving_batch_compute_duration_seconds_count{model="m",version="1"} 200
            serving_batch_queue_duration_seconds_sum{model="m",version="1"} 0.64
            serving_batch_queue_duration_seconds_count{model="m",version="1"} 6400
            serving_batch_executions_total{model="m",version="1"} 200
            serving_batch_rejected_total{model="m",version="1"} 3
            """;

        var stats = BatchingStats.Between(before, after, "m");

        Assert.Equal(100, stats.Executions);
        Assert.Equal(64, stats.MeanBatchSize);
        Assert.Equal(2000, stats.MeanComputeMicros, 6);
        Assert.Equal(100, stats.MeanQueueMicros, 6);
        Assert.Equal(3, stats.Rejected);
    }

    [Fact]
    public void BatchingStats_NoBatches_AreZeros()
    {
        var stats = BatchingStats.Between(string.Empty, string.Empty, "m");

        Assert.Equal(new BatchingStats(0, 0, 0, 0, 0), stats);
    }
}
