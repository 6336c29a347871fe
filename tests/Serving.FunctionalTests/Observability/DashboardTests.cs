namespace Serving.FunctionalTests.Observability;

/// <summary>deploy/grafana/serving-dashboard.json queries only catalogued series, and covers issue 7's signals per model version.</summary>
public sealed class DashboardTests
{
    [Fact]
    public void EveryQuery_NamesACataloguedSeries()
    {
        var dashboard = GrafanaDashboard.Load();

        Assert.True(dashboard.Queries.Count >= 20, $"only {dashboard.Queries.Count} queries parsed");
        Assert.Empty(dashboard.UnknownNames(MetricsCatalogue.Load()));
    }

    [Fact]
    public void Checker_MisspelledOrUncataloguedName_IsReported()
    {
        var catalogue = MetricsCatalogue.Load();
        var text = File.ReadAllText(GrafanaDashboard.DocumentPath);
        Assert.Contains("serving_batch_queue_depth{", text, StringComparison.Ordinal);

        var misspelled = GrafanaDashboard.Parse(text.Replace("serving_batch_queue_depth{", "serving_batch_queue_dept{", StringComparison.Ordinal));
        var bucketOfCounter = GrafanaDashboard.Parse(text.Replace("serving_batch_size_bucket", "serving_batch_executions_total_bucket", StringComparison.Ordinal));

        Assert.Contains(misspelled.UnknownNames(catalogue), n => n.StartsWith("serving_batch_queue_dept ", StringComparison.Ordinal));
        Assert.Contains(bucketOfCounter.UnknownNames(catalogue), n => n.StartsWith("serving_batch_executions_total_bucket ", StringComparison.Ordinal));
    }

    [Fact]
    public void Dashboard_HasModelAndVersionVariables_AndAPanelPerSignal()
    {
        var dashboard = GrafanaDashboard.Load();
        var names = dashboard.Names();

        Assert.Contains("model", dashboard.Variables);
        Assert.Contains("version", dashboard.Variables);
        foreach (var signal in new[]
        {
            "serving_gateway_requests_total", "serving_inference_requests_total",
            "serving_gateway_request_duration_seconds_bucket", "serving_inference_request_duration_seconds_bucket",
            "serving_batch_size_bucket", "serving_batch_queue_depth", "serving_gateway_policy_weight",
            "serving_feature_cache_requests_total", "serving_drift_feature_statistic", "serving_drift_prediction_statistic",
            "serving_drift_drifting", "serving_drift_alerts_total",
        })
        {
            Assert.Contains(signal, names);
        }

        // Per model version: every panel query of a series with a version label filters on the two variables.
        var catalogue = MetricsCatalogue.Load();
        foreach (var query in dashboard.Queries.Where(q => !q.Panel.StartsWith("variable ", StringComparison.Ordinal)))
        {
            foreach (var name in PromQlNames.Of(query.Expression).Where(n => catalogue.Find(n)?.Labels.Contains("version") == true))
            {
                Assert.True(
                    query.Expression.Contains(name + "{model=~\"$model\", version=~\"$version\"", StringComparison.Ordinal),
                    $"panel '{query.Panel}': {name} is not filtered by $model and $version in {query.Expression}");
            }
        }
    }

    [Theory]
    [InlineData("sum by (model, version) (rate(serving_gateway_requests_total{model=~\"$model\", code!~\"200|OK\"}[$__rate_interval]))", "serving_gateway_requests_total")]
    [InlineData("histogram_quantile(0.99, sum by (model, version, le) (rate(serving_batch_size_bucket{version=~\"$version\"}[5m])))", "serving_batch_size_bucket")]
    [InlineData("sum(rate(a_total[1m])) / on (model) group_left (version) b_info > bool 1e-3", "a_total b_info")]
    [InlineData("label_values(serving_inference_requests_total{model=~\"$model\"}, version)", "serving_inference_requests_total")]
    [InlineData("topk(10, max by (feature) (serving_drift_feature_statistic{statistic=\"psi\"})) offset 5m", "serving_drift_feature_statistic")]
    public void PromQlNames_FindsTheSelectedSeriesOnly(string expression, string expected)
    {
        Assert.Equal(expected.Split(' ').Order(StringComparer.Ordinal), PromQlNames.Of(expression).Order(StringComparer.Ordinal));
    }
}
