using Prometheus;
using Serving.Drift.Scoring;

namespace Serving.Drift.Monitoring;

/// <summary>The drift monitor's Prometheus series (<c>serving_drift_*</c>).</summary>
internal sealed class DriftMetrics
{
    private static readonly string[] VersionLabels = ["model", "version"];
    private static readonly string[] Statistics = ["psi", "ks_statistic", "ks_p_value", "js_distance"];

    private static readonly Counter Received = Prometheus.Metrics.CreateCounter(
        "serving_drift_records_received_total", "Prediction records received on the ingest stream.");

    private static readonly Counter Archived = Prometheus.Metrics.CreateCounter(
        "serving_drift_records_archived_total", "Records written to the archive (and then acknowledged).");

    private static readonly Counter Rejected = Prometheus.Metrics.CreateCounter(
        "serving_drift_records_rejected_total", "Records refused with a reason in the ack: feature_count, output_count.",
        new CounterConfiguration { LabelNames = ["reason"] });

    private static readonly Counter UnknownVersion = Prometheus.Metrics.CreateCounter(
        "serving_drift_records_unknown_version_total", "Records of a model version without a reference profile: archived, not scored.");

    private static readonly Counter Scored = Prometheus.Metrics.CreateCounter(
        "serving_drift_records_scored_total", "Records added to a version's window.", new CounterConfiguration { LabelNames = VersionLabels });

    private static readonly Gauge StreamsActive = Prometheus.Metrics.CreateGauge(
        "serving_drift_streams_active", "Open ingest streams.");

    private static readonly Counter StreamsFailed = Prometheus.Metrics.CreateCounter(
        "serving_drift_streams_failed_total", "Ingest streams ended by the monitor: malformed (bad batch), archive (write failed), unauthenticated (no or wrong Serving:Drift:IngestToken).",
        new CounterConfiguration { LabelNames = ["reason"] });

    private static readonly Counter ArchiveBytes = Prometheus.Metrics.CreateCounter(
        "serving_drift_archive_bytes_total", "Bytes written to archive files.");

    private static readonly Counter ArchiveFiles = Prometheus.Metrics.CreateCounter(
        "serving_drift_archive_files_total", "Archive files started: start (first write), size or time (rotation), removed (the file being written was deleted, moved away or truncated).",
        new CounterConfiguration { LabelNames = ["reason"] });

    private static readonly Gauge FeatureStatistic = Prometheus.Metrics.CreateGauge(
        "serving_drift_feature_statistic", "Latest drift statistic of an input feature: psi, ks_statistic, ks_p_value, js_distance; absent while the feature has no values in the window.",
        new GaugeConfiguration { LabelNames = ["model", "version", "feature", "statistic"] });

    private static readonly Gauge FeatureDrifting = Prometheus.Metrics.CreateGauge(
        "serving_drift_feature_drifting", "1 when the feature drifts in the latest evaluation.",
        new GaugeConfiguration { LabelNames = ["model", "version", "feature"] });

    private static readonly Gauge PredictionStatistic = Prometheus.Metrics.CreateGauge(
        "serving_drift_prediction_statistic", "Latest drift statistic of the prediction: psi, ks_statistic, ks_p_value, js_distance; absent while the window has no predictions.",
        new GaugeConfiguration { LabelNames = ["model", "version", "prediction", "statistic"] });

    private static readonly Gauge PredictionDrifting = Prometheus.Metrics.CreateGauge(
        "serving_drift_prediction_drifting", "1 when the prediction distribution drifts in the latest evaluation.",
        new GaugeConfiguration { LabelNames = VersionLabels });

    private static readonly Gauge Drifting = Prometheus.Metrics.CreateGauge(
        "serving_drift_drifting", "1 while the version's drift alert is active (see Alerts:ConsecutiveVerdicts).",
        new GaugeConfiguration { LabelNames = VersionLabels });

    private static readonly Gauge DriftingShare = Prometheus.Metrics.CreateGauge(
        "serving_drift_drifting_feature_share", "Share of the version's input features that drift.",
        new GaugeConfiguration { LabelNames = VersionLabels });

    private static readonly Gauge WindowRecords = Prometheus.Metrics.CreateGauge(
        "serving_drift_window_records", "Records in the window the latest statistics were computed on.",
        new GaugeConfiguration { LabelNames = VersionLabels });

    private static readonly Counter Evaluations = Prometheus.Metrics.CreateCounter(
        "serving_drift_evaluations_total", "Window evaluations.", new CounterConfiguration { LabelNames = VersionLabels });

    private static readonly Counter EvaluationsSkipped = Prometheus.Metrics.CreateCounter(
        "serving_drift_evaluations_skipped_total", "Evaluations skipped because the evaluator was behind.");

    private static readonly Counter Alerts = Prometheus.Metrics.CreateCounter(
        "serving_drift_alerts_total", "Drift alerts raised: started or stopped.",
        new CounterConfiguration { LabelNames = ["model", "version", "transition"] });

    private static readonly Counter Webhooks = Prometheus.Metrics.CreateCounter(
        "serving_drift_webhook_deliveries_total", "Webhook attempts: delivered, retried (an attempt failed, another follows), failed (gave up).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    public void OnReceived(int records) => Received.Inc(records);

    public void OnArchived(int records) => Archived.Inc(records);

    public void OnRejected(string reason) => Rejected.WithLabels(reason).Inc();

    public void OnUnknownVersion(int records) => UnknownVersion.Inc(records);

    public void OnScored(string model, string version, int records) => Scored.WithLabels(model, version).Inc(records);

    public void OnStreamOpened() => StreamsActive.Inc();

    public void OnStreamClosed() => StreamsActive.Dec();

    public void OnStreamFailed(string reason) => StreamsFailed.WithLabels(reason).Inc();

    public void OnArchiveWrite(long bytes) => ArchiveBytes.Inc(bytes);

    public void OnArchiveFile(string reason) => ArchiveFiles.WithLabels(reason).Inc();

    public void OnEvaluationSkipped() => EvaluationsSkipped.Inc();

    public void OnAlert(string model, string version, DriftAlertTransition transition) =>
        Alerts.WithLabels(model, version, transition == DriftAlertTransition.Started ? "started" : "stopped").Inc();

    public void OnWebhook(string outcome, int count = 1) => Webhooks.WithLabels(outcome).Inc(count);

    public void SetAlerting(string model, string version, bool alerting) => Drifting.WithLabels(model, version).Set(alerting ? 1 : 0);

    /// <summary>
    /// Removes the gauges of a version that is no longer watched (its profile left the repository), as the worker removes
    /// an unloaded version's state series. Its counters stay, frozen: a counter that vanishes reads as a reset.
    /// </summary>
    public void RemoveVersion(Profiles.ReferenceProfile profile)
    {
        string model = profile.Model, version = profile.Version;
        foreach (var gauge in (Gauge[])[Drifting, DriftingShare, WindowRecords, PredictionDrifting])
        {
            gauge.RemoveLabelled(model, version);
        }

        foreach (var feature in profile.Features)
        {
            FeatureDrifting.RemoveLabelled(model, version, feature.Name);
            RemoveStatistics(FeatureStatistic, model, version, feature.Name);
        }

        RemoveStatistics(PredictionStatistic, model, version, profile.Prediction.Name);
    }

    /// <summary>Publishes one evaluation's statistics.</summary>
    public void Publish(DriftReport report)
    {
        string model = report.Model, version = report.Version;
        Evaluations.WithLabels(model, version).Inc();
        WindowRecords.WithLabels(model, version).Set(report.WindowSize);
        DriftingShare.WithLabels(model, version).Set(report.DriftingFeatureShare);
        foreach (var feature in report.Features)
        {
            SetStatistics(FeatureStatistic, model, version, feature);
            FeatureDrifting.WithLabels(model, version, feature.Name).Set(feature.IsDrifting ? 1 : 0);
        }

        SetStatistics(PredictionStatistic, model, version, report.Prediction);
        PredictionDrifting.WithLabels(model, version).Set(report.Prediction.IsDrifting ? 1 : 0);
    }

    private static void SetStatistics(Gauge gauge, string model, string version, FeatureDriftResult result)
    {
        SetOrRemove(gauge, result.Psi, model, version, result.Name, "psi");
        SetOrRemove(gauge, result.KsStatistic, model, version, result.Name, "ks_statistic");
        SetOrRemove(gauge, result.KsPValue, model, version, result.Name, "ks_p_value");
        SetOrRemove(gauge, result.JsDistance, model, version, result.Name, "js_distance");
    }

    private static void RemoveStatistics(Gauge gauge, string model, string version, string column)
    {
        foreach (var statistic in Statistics)
        {
            gauge.RemoveLabelled(model, version, column, statistic);
        }
    }

    // A statistic without a value (the column had no finite values in the window) has no series rather than NaN,
    // as the JSON report leaves the field out; one that had a value in an earlier evaluation is removed.
    private static void SetOrRemove(Gauge gauge, double? value, string model, string version, string column, string statistic)
    {
        if (value is { } v && double.IsFinite(v))
        {
            gauge.WithLabels(model, version, column, statistic).Set(v);
        }
        else
        {
            gauge.RemoveLabelled(model, version, column, statistic);
        }
    }
}
