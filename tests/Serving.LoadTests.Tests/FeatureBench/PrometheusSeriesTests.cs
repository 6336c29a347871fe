using Serving.LoadTests.FeatureBench;

namespace Serving.LoadTests.Tests.FeatureBench;

public sealed class PrometheusSeriesTests
{
    private const string Scrape = """
        # TYPE serving_feature_cache_requests_total counter
        serving_feature_cache_requests_total{model="tabular",result="hit"} 900
        serving_feature_cache_requests_total{model="tabular",result="miss"} 100
        serving_feature_cache_requests_total{model="tabular_2",result="hit"} 5
        serving_feature_store_calls_total{model="tabular",store="redis"} 40 1700000000000
        serving_feature_store_calls_total_extra{model="tabular",store="redis"} 7
        serving_batch_executions_total{model="tabular",version="1"} 10
        serving_batch_executions_total{model="tabular",version="2"} 30
        """;

    [Fact]
    public void Sum_LabelFilters_PickTheSeries()
    {
        Assert.Equal(900, PrometheusSeries.Sum(Scrape, "serving_feature_cache_requests_total", ("model", "tabular"), ("result", "hit")));
        Assert.Equal(100, PrometheusSeries.Sum(Scrape, "serving_feature_cache_requests_total", ("result", "miss"), ("model", "tabular")));
        Assert.Equal(1000, PrometheusSeries.Sum(Scrape, "serving_feature_cache_requests_total", ("model", "tabular")));
    }

    [Fact]
    public void Sum_OtherModelsLongerNamesAndTimestamps_AreHandled()
    {
        Assert.Equal(40, PrometheusSeries.Sum(Scrape, "serving_feature_store_calls_total", ("model", "tabular")));
        Assert.Equal(40, PrometheusSeries.Sum(Scrape, "serving_batch_executions_total", ("model", "tabular")));
        Assert.Equal(0, PrometheusSeries.Sum(Scrape, "serving_batch_executions_total", ("model", "tab")));
    }
}
