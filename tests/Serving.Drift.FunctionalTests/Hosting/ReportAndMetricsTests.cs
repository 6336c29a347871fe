using System.Net;
using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Drift.Profiles;
using Serving.Protocol.PredictionLogs;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.Hosting;

public sealed class ReportAndMetricsTests
{
    [Fact]
    public async Task AfterAnEvaluation_ReportAndGaugesShowEveryFeatureWithItsWindowSize()
    {
        await using var drift = await DriftServer.StartAsync();
        await using var client = new IngestClient(drift);
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(21);
        for (var b = 0; b < 6; b++)
        {
            await client.SendAsync(Batches.ReferenceBatch(rows, random, 100, $"r{b}"));
        }

        await Eventually.TrueAsync(() => drift.Version("tabular", "1").Latest?.AtRecord == 600, "the evaluation at record 600");

        using var report = JsonDocument.Parse(await drift.Http.GetStringAsync("/v2/drift/report/tabular/1"));
        var root = report.RootElement;
        Assert.Equal(600, root.GetProperty("records_seen").GetInt64());
        Assert.Equal(600, root.GetProperty("window_size").GetInt32());
        Assert.True(root.GetProperty("has_enough_data").GetBoolean());
        Assert.False(root.GetProperty("drifting").GetBoolean());
        var features = root.GetProperty("features").EnumerateArray().ToArray();
        Assert.Equal(rows.FeatureNames, features.Select(f => f.GetProperty("name").GetString()));
        Assert.All(features, f =>
        {
            Assert.Equal(600, f.GetProperty("window_size").GetInt32());
            var psi = f.GetProperty("psi").GetDouble();
            Assert.True(psi >= 0);
            Assert.Equal(psi > 0.25 ? "major" : psi >= 0.1 ? "moderate" : "none", f.GetProperty("psi_band").GetString());
            Assert.InRange(f.GetProperty("ks_p_value").GetDouble(), 0, 1);
            Assert.Equal(0.05 / 30, f.GetProperty("ks_significance_level").GetDouble(), 1e-12);
        });
        Assert.Equal("probabilities[1]", root.GetProperty("prediction").GetProperty("name").GetString());
        Assert.Equal(600, root.GetProperty("prediction").GetProperty("window_size").GetInt32());

        using var all = JsonDocument.Parse(await drift.Http.GetStringAsync("/v2/drift/report"));
        var thresholds = all.RootElement.GetProperty("thresholds");
        Assert.Equal(0.1, thresholds.GetProperty("psi_moderate").GetDouble());
        Assert.Equal(0.25, thresholds.GetProperty("psi_major").GetDouble());

        var metrics = await drift.Http.GetStringAsync("/metrics");
        Assert.Contains("serving_drift_feature_statistic{model=\"tabular\",version=\"1\",feature=\"mean_texture\",statistic=\"psi\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_drift_feature_statistic{model=\"tabular\",version=\"1\",feature=\"mean_texture\",statistic=\"ks_p_value\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_drift_prediction_statistic{model=\"tabular\",version=\"1\",prediction=\"probabilities[1]\",statistic=\"ks_statistic\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_drift_drifting{model=\"tabular\",version=\"1\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_drift_window_records{model=\"tabular\",version=\"1\"} 600", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CategoricalPrediction_JsDistanceGaugeIsTheReportsDistance()
    {
        await using var drift = await DriftServer.StartAsync();
        await using var client = new IngestClient(drift);
        var digits = drift.Version("digits", "1").Profile;
        var classes = (CategoricalFeatureProfile)digits.Prediction;
        var schema = Batches.Schema("digits", "1", digits.Features.Select(f => f.Name));
        schema.OutputSizes[0] = 10;
        var batch = new PredictionLogBatch { Schemas = { schema } };
        for (var i = 0; i < 100; i++)
        {
            // Every prediction is class 3.
            var record = Batches.Record(0, $"d{i}", new double[digits.Features.Count]);
            record.Outputs.Clear();
            record.Outputs.Add(Enumerable.Range(0, 10).Select(k => k == 3 ? 1.0 : 0.0));
            batch.Records.Add(record);
        }

        await client.SendAsync(batch);
        await Eventually.TrueAsync(() => drift.Version("digits", "1").Latest?.AtRecord == 100, "the evaluation at record 100");

        // JS divergence (base 2) of the reference shares r and a point mass on class 3, through M = (r + e₃) / 2:
        // ½·Σ_{k≠3} r_k·log2(2) + ½·r₃·log2(2r₃ / (r₃ + 1)) + ½·log2(2 / (r₃ + 1)).
        var r3 = classes.Shares[classes.CodeOf("3")];
        var expected = Math.Sqrt((0.5 * (1 - r3)) + (0.5 * r3 * Math.Log2(2 * r3 / (r3 + 1))) + (0.5 * Math.Log2(2 / (r3 + 1))));
        using var report = JsonDocument.Parse(await drift.Http.GetStringAsync("/v2/drift/report/digits/1"));
        Assert.Equal(expected, report.RootElement.GetProperty("prediction").GetProperty("js_distance").GetDouble(), 1e-9);
        var gauge = MetricsExposition.Value(await drift.Http.GetStringAsync("/metrics"), "serving_drift_prediction_statistic{model=\"digits\",version=\"1\",prediction=\"class\",statistic=\"js_distance\"}");
        Assert.Equal(expected, gauge, 1e-9);
    }

    [Fact]
    public async Task TimedEvaluation_ScoresWithoutTheRecordCountTrigger_AndAgedRecordsLeaveTheWindow()
    {
        await using var drift = await DriftServer.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:Drift:Evaluation:EveryRecords"] = "0",
            ["Serving:Drift:Evaluation:Interval"] = "00:00:00.050",
            ["Serving:Drift:Window:MaxAge"] = "00:00:01",
        });
        await using var client = new IngestClient(drift);
        var rows = ReferenceRows.Load("tabular", "1");
        var tabular = drift.Version("tabular", "1");

        await client.SendAsync(Batches.ReferenceBatch(rows, new Random(31), 50, "timed"));

        await Eventually.TrueAsync(() => tabular.Latest is { AtRecord: 50, Report.WindowSize: 50 }, "a timed evaluation of the 50 records");
        Assert.False(tabular.Latest!.Report.HasEnoughData);
        await Eventually.TrueAsync(() => tabular.Latest is { Report.WindowSize: 0 }, "the records ageing out of the window");
    }

    [Fact]
    public async Task Health_LiveAndReady_OnTheRestPort_NotOnTheIngestPort()
    {
        await using var drift = await DriftServer.StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await drift.Http.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await drift.Http.GetAsync("/v2/health/ready")).StatusCode);
        using var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        Assert.Equal(HttpStatusCode.NotFound, (await h2c.GetAsync($"{drift.Endpoint}/v2/drift/report")).StatusCode);
    }

    [Theory]
    [InlineData("tabular/99", HttpStatusCode.NotFound, "{\"error\":\"no reference profile for model 'tabular' version '99'\"}")]
    [InlineData("..%2Fetc/1", HttpStatusCode.BadRequest, "is not a model version")]
    [InlineData("tabular/01", HttpStatusCode.BadRequest, "a version is a positive integer")]
    [InlineData("tabular/-1", HttpStatusCode.BadRequest, "is not a model version")]
    public async Task VersionReport_UnknownOrMalformed_ClearErrorReadableQuotes(string path, HttpStatusCode status, string expected)
    {
        await using var drift = await DriftServer.StartAsync();

        using var response = await drift.Http.GetAsync("/v2/drift/report/" + path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
