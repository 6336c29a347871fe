using System.Net;
using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Drift.Scoring;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.FunctionalTests.Monitoring;

/// <summary>A version whose reference profile leaves the repository (the worker unloads it) stops being watched.</summary>
public sealed class RemovedVersionTests
{
    private const string Gone = "tabular_gone";

    /// <summary>
    /// Before, after <c>mv models/tabular/1 elsewhere</c> the monitor kept exporting <c>serving_drift_drifting 1</c>, kept
    /// evaluating the version (evaluations_total 8 → 13) and its report kept <c>alerting: true</c>, for ever.
    /// </summary>
    [Fact]
    public async Task ProfileLeavesTheRepository_AlertClosed_GaugesGone_NotEvaluated_RecordsUnknown_WatchedAgainWhenBack()
    {
        await using var webhook = await WebhookReceiver.StartAsync(failFirst: 0);
        using var repository = ProfileRepository.Create(("tabular", Gone), ("tabular", "tabular_kept"));
        var settings = ProfileRepository.Settings(repository, window: 100);
        settings["Serving:Drift:ProfileRetryInterval"] = "00:00:00.050";
        settings["Serving:Drift:Thresholds:DriftShare"] = "0.03";
        settings["Serving:Drift:Alerts:WebhookUrl"] = webhook.Url;
        await using var drift = await DriftServer.StartAsync(settings);
        await using var client = new IngestClient(drift);
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(51);
        var gone = drift.Version(Gone, "1");
        var kept = drift.Version("tabular_kept", "1");

        await client.SendAsync(Shifted(Batches.ReferenceBatch(rows, random, 100, "before"), rows));
        await client.SendAsync(Named(Batches.ReferenceBatch(rows, random, 100, "kept"), "tabular_kept"));
        await Eventually.TrueAsync(() => gone.Latest is { AtRecord: 100, Alerting: true }, "the alert of the drifting version");
        await Eventually.TrueAsync(() => kept.Latest?.AtRecord == 100, "the evaluation of the other version");
        Assert.Contains($"serving_drift_drifting{{model=\"{Gone}\",version=\"1\"}} 1", await SeriesAsync(drift));
        var evaluations = await MetricsText.ValueAsync($"serving_drift_evaluations_total{{model=\"{Gone}\",version=\"1\"}}");
        Assert.Equal(1, evaluations);

        Directory.Move(repository.Combine(Gone, "1"), repository.Combine("elsewhere"));

        // The open alert is closed: log, history and webhook say drift_stopped, for the reason version_removed.
        await Eventually.TrueAsync(() => webhook.Calls.Count == 2, "the alert closed on the webhook");
        using (var started = JsonDocument.Parse(webhook.Calls[0].Body))
        {
            Assert.Equal(("drift_started", "verdicts"), (Text(started, "event"), Text(started, "reason")));
        }

        using (var stopped = JsonDocument.Parse(webhook.Calls[1].Body))
        {
            Assert.Equal(("drift_stopped", "version_removed", Gone), (Text(stopped, "event"), Text(stopped, "reason"), Text(stopped, "model")));
            Assert.Empty(stopped.RootElement.GetProperty("drifting_features").EnumerateArray());
            Assert.Equal(100, stopped.RootElement.GetProperty("at_record").GetInt64());
        }

        Assert.Equal(DriftAlertTransition.Stopped, drift.Alerts.History[^1].Transition);

        // Its gauges are gone (its counters stay, frozen); the report no longer lists it.
        Assert.All(await SeriesAsync(drift), s => Assert.Matches(@"^serving_drift_(records_scored|evaluations|alerts)_total\{", s));
        using (var report = JsonDocument.Parse(await drift.Http.GetStringAsync("/v2/drift/report")))
        {
            Assert.Equal(["tabular_kept"], report.RootElement.GetProperty("versions").EnumerateArray().Select(v => Text(v, "model")));
            Assert.Equal("version_removed", Text(report.RootElement.GetProperty("recent_alerts").EnumerateArray().Last(), "reason"));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await drift.Http.GetAsync($"/v2/drift/report/{Gone}/1")).StatusCode);

        // Its records, on the stream that bound it before, are archived as an unknown version's and not scored.
        var ack = await client.SendAsync(Shifted(Batches.ReferenceBatch(rows, random, 100, "after"), rows));
        Assert.Equal(100, ack.Accepted);
        Assert.Equal(100, drift.ArchivedLines().Count(l => l.Contains("\"request_id\":\"after-", StringComparison.Ordinal) && l.Contains("\"status\":\"unknown_version\"", StringComparison.Ordinal)));
        using (var report = JsonDocument.Parse(await drift.Http.GetStringAsync("/v2/drift/report")))
        {
            var unknown = Assert.Single(report.RootElement.GetProperty("unknown_versions").EnumerateArray());
            Assert.Equal((Gone, "1", 100), (Text(unknown, "model"), Text(unknown, "version"), unknown.GetProperty("records").GetInt64()));
        }

        Assert.Equal(evaluations, await MetricsText.ValueAsync($"serving_drift_evaluations_total{{model=\"{Gone}\",version=\"1\"}}"));
        Assert.All(await SeriesAsync(drift), s => Assert.Matches(@"^serving_drift_(records_scored|evaluations|alerts)_total\{", s));

        // Moved back, it is watched again from an empty window.
        Directory.Move(repository.Combine("elsewhere"), repository.Combine(Gone, "1"));
        await Eventually.TrueAsync(() => drift.Monitor.Find(Gone, "1") is not null, "the profile found again");
        await client.SendAsync(Shifted(Batches.ReferenceBatch(rows, random, 100, "back"), rows));
        var back = drift.Version(Gone, "1");
        await Eventually.TrueAsync(() => back.Latest?.AtRecord == 100, "the returned version's first evaluation");
        Assert.Contains($"serving_drift_window_records{{model=\"{Gone}\",version=\"1\"}} 100", await SeriesAsync(drift));

        // Watched again, it is no longer listed as an unknown version (it was, with its old count, before); the totals
        // keep the records it sent meanwhile.
        using (var report = JsonDocument.Parse(await drift.Http.GetStringAsync("/v2/drift/report")))
        {
            Assert.Empty(report.RootElement.GetProperty("unknown_versions").EnumerateArray());
            Assert.Equal(100, report.RootElement.GetProperty("totals").GetProperty("unknown_version").GetInt64());
        }
    }

    private static PredictionLogBatch Named(PredictionLogBatch batch, string model)
    {
        batch.Schemas[0].Model = model;
        return batch;
    }

    // Reference rows of the removed-to-be version with mean_texture three standard deviations up: it drifts.
    private static PredictionLogBatch Shifted(PredictionLogBatch batch, ReferenceRows rows)
    {
        var feature = rows.IndexOf("mean_texture");
        foreach (var record in batch.Records)
        {
            record.Features[feature] += 3 * rows.Std[feature];
        }

        return Named(batch, Gone);
    }

    private static string? Text(JsonDocument document, string property) => Text(document.RootElement, property);

    private static string? Text(JsonElement element, string property) => element.GetProperty(property).GetString();

    // The exposed samples of the removed-to-be version's series, one line each.
    private static async Task<string[]> SeriesAsync(DriftServer drift) =>
        [.. (await drift.Http.GetStringAsync("/metrics")).Split('\n').Where(l => l.Contains($"model=\"{Gone}\"", StringComparison.Ordinal))];
}
