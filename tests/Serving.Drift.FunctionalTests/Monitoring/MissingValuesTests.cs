using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.FunctionalTests.Monitoring;

/// <summary>Columns with no finite values in the window: no statistic, in the report or in <c>/metrics</c>, and no false class.</summary>
public sealed class MissingValuesTests
{
    /// <summary>
    /// Before, a window of NaN predictions exported <c>serving_drift_prediction_statistic{statistic="psi"} NaN</c> (and
    /// <c>ks_statistic</c>, <c>ks_p_value</c>) while the report left them out; a series that had a value kept it.
    /// </summary>
    [Fact]
    public async Task WindowOfNaN_StatisticsHaveNoSeries_NotNaN_AndEarlierValuesAreRemoved()
    {
        using var repository = ProfileRepository.Create(("tabular", "tabular_nan"));
        await using var drift = await DriftServer.StartAsync(ProfileRepository.Settings(repository, window: 100));
        await using var client = new IngestClient(drift);
        var rows = ReferenceRows.Load("tabular", "1");
        var version = drift.Version("tabular_nan", "1");
        var random = new Random(41);

        await client.SendAsync(TabularNaN(Batches.ReferenceBatch(rows, random, 100, "values"), withNaN: false));
        await Eventually.TrueAsync(() => version.Latest?.AtRecord == 100, "the evaluation at record 100");
        var before = await SeriesAsync(drift, "tabular_nan");
        Assert.Contains(before, s => s.StartsWith(Statistic("feature", "mean_texture", "psi"), StringComparison.Ordinal));
        Assert.Contains(before, s => s.StartsWith(Statistic("prediction", "probabilities[1]", "ks_p_value"), StringComparison.Ordinal));

        // The next window: mean_texture and both probabilities are NaN in every record.
        await client.SendAsync(TabularNaN(Batches.ReferenceBatch(rows, random, 100, "nan"), withNaN: true));
        await Eventually.TrueAsync(() => version.Latest?.AtRecord == 200, "the evaluation at record 200");

        var series = await SeriesAsync(drift, "tabular_nan");
        Assert.DoesNotContain(series, s => s.EndsWith(" NaN", StringComparison.Ordinal));
        Assert.DoesNotContain(series, s => s.StartsWith(Statistic("feature", "mean_texture", ""), StringComparison.Ordinal));
        Assert.DoesNotContain(series, s => s.StartsWith("serving_drift_prediction_statistic{", StringComparison.Ordinal));
        Assert.Contains(series, s => s.StartsWith(Statistic("feature", "mean_radius", "psi"), StringComparison.Ordinal));
        Assert.Contains("serving_drift_prediction_drifting{model=\"tabular_nan\",version=\"1\"} 0", series);

        using var report = JsonDocument.Parse(await drift.Http.GetStringAsync("/v2/drift/report/tabular_nan/1"));
        var prediction = report.RootElement.GetProperty("prediction");
        Assert.Equal(0, prediction.GetProperty("window_size").GetInt32());
        Assert.False(prediction.TryGetProperty("psi", out _));
        Assert.False(prediction.TryGetProperty("ks_p_value", out _));
    }

    /// <summary>
    /// The sweep's case: 600 digits rows of all-NaN pixels, answered with NaN probabilities. Before, every row counted as
    /// class "0" and the prediction drifted (JS 0.87); the NaN statistics of the pixels were exported as NaN.
    /// </summary>
    [Fact]
    public async Task AllNaNDigits_NaNProbabilities_NoPredictionNoDriftNoNaNSeries()
    {
        using var repository = ProfileRepository.Create(("digits", "digits_nan"));
        await using var drift = await DriftServer.StartAsync(ProfileRepository.Settings(repository, window: 600));
        await using var client = new IngestClient(drift);
        var version = drift.Version("digits_nan", "1");
        var schema = Batches.Schema("digits_nan", "1", version.Profile.Features.Select(f => f.Name));
        schema.OutputSizes[0] = 10;
        var batch = new PredictionLogBatch { Schemas = { schema } };
        for (var i = 0; i < 600; i++)
        {
            var record = Batches.Record(0, $"nan{i}", Enumerable.Repeat(double.NaN, version.Profile.Features.Count));
            record.Outputs.Clear();
            record.Outputs.Add(Enumerable.Repeat(double.NaN, 10));
            batch.Records.Add(record);
        }

        await client.SendAsync(batch);
        await Eventually.TrueAsync(() => version.Latest?.AtRecord == 600, "the evaluation at record 600");

        var report = version.Latest!.Report;
        Assert.Equal(0, report.Prediction.WindowSize);
        Assert.False(report.Prediction.IsDrifting);
        Assert.False(report.IsDrifting);
        var series = await SeriesAsync(drift, "digits_nan");
        Assert.DoesNotContain(series, s => s.EndsWith(" NaN", StringComparison.Ordinal));
        Assert.DoesNotContain(series, s => s.StartsWith("serving_drift_prediction_statistic{", StringComparison.Ordinal));
        Assert.DoesNotContain(series, s => s.StartsWith("serving_drift_feature_statistic{", StringComparison.Ordinal));
        Assert.Contains("serving_drift_window_records{model=\"digits_nan\",version=\"1\"} 600", series);
    }

    private static PredictionLogBatch TabularNaN(PredictionLogBatch batch, bool withNaN)
    {
        batch.Schemas[0].Model = "tabular_nan";
        var feature = batch.Schemas[0].FeatureNames.IndexOf("mean_texture");
        foreach (var record in batch.Records.Where(_ => withNaN))
        {
            record.Features[feature] = double.NaN;
            record.Outputs[0] = double.NaN;
            record.Outputs[1] = double.NaN;
        }

        return batch;
    }

    private static string Statistic(string column, string name, string statistic) =>
        $"serving_drift_{column}_statistic{{model=\"tabular_nan\",version=\"1\",{column}=\"{name}\",statistic=\"{statistic}";

    // The exposed samples of the model's series, one line each.
    private static async Task<string[]> SeriesAsync(DriftServer drift, string model) =>
        [.. (await drift.Http.GetStringAsync("/metrics")).Split('\n').Where(l => l.Contains($"model=\"{model}\"", StringComparison.Ordinal))];
}
