using Serving.LoadTests.FeatureBench;

namespace Serving.LoadTests.Tests.FeatureBench;

public sealed class WorkerFeatureStatsTests
{
    private static string Scrape(long batches, long rows, long hits, long misses, long calls, double lookupSeconds, long defaulted = 0, long errors = 0, long refused = 0) => $$"""
        serving_batch_executions_total{model="tabular",version="2"} {{batches}}
        serving_batch_size_sum{model="tabular",version="2"} {{rows}}
        serving_feature_cache_requests_total{model="tabular",version="2",result="hit"} {{hits}}
        serving_feature_cache_requests_total{model="tabular",version="2",result="miss"} {{misses}}
        serving_feature_store_calls_total{model="tabular",version="2",store="redis"} {{calls}}
        serving_feature_store_errors_total{model="tabular",version="2",store="redis",kind="timeout"} {{errors}}
        serving_feature_store_errors_total{model="tabular",version="2",store="redis",kind="breaker_open"} {{refused}}
        serving_feature_defaulted_rows_total{model="tabular",version="2",reason="missing"} {{defaulted}}
        serving_feature_lookup_duration_seconds_sum{model="tabular",version="2",store="redis"} {{lookupSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}
        serving_feature_lookup_duration_seconds_count{model="tabular",version="2",store="redis"} {{calls}}
        """;

    [Fact]
    public void Between_TwoScrapes_GivesTheArmsFigures()
    {
        var before = Scrape(batches: 100, rows: 6000, hits: 0, misses: 6000, calls: 100, lookupSeconds: 0.05);
        var after = Scrape(batches: 300, rows: 18800, hits: 9000, misses: 6800, calls: 150, lookupSeconds: 0.075, defaulted: 2, errors: 1, refused: 40);

        var stats = WorkerFeatureStats.Between(before, after, "tabular");

        Assert.Equal(200, stats.Batches);
        Assert.Equal(64.0, stats.MeanBatchSize);
        Assert.Equal(9000, stats.CacheHits);
        Assert.Equal(800, stats.CacheMisses);
        Assert.Equal(50, stats.StoreCalls);
        Assert.Equal(1, stats.StoreErrors); // breaker refusals are counted apart
        Assert.Equal(40, stats.BreakerRefusals);
        Assert.Equal(2, stats.DefaultedRows);
        Assert.Equal(500.0, stats.MeanStoreCallMicros!.Value, 6);
        Assert.Equal(9000.0 / 9800, stats.CacheHitRatio!.Value, 9);
    }

    [Fact]
    public void Between_NothingHappened_NoRatiosInvented()
    {
        var scrape = Scrape(10, 10, 0, 0, 0, 0);

        var stats = WorkerFeatureStats.Between(scrape, scrape, "tabular");

        Assert.Equal(0, stats.Batches);
        Assert.Equal(0, stats.MeanBatchSize);
        Assert.Null(stats.CacheHitRatio);
        Assert.Null(stats.MeanStoreCallMicros);
    }
}
