using Serving.Drift.Scoring;

namespace Serving.Drift.Alerts;

/// <summary>A model version started or stopped drifting (or stopped because it was removed while drifting).</summary>
internal sealed record DriftAlert(
    string Model,
    string Version,
    DriftAlertTransition Transition,
    DateTimeOffset At,
    long AtRecord,
    int WindowSize,
    IReadOnlyList<string> DriftingFeatures,
    double DriftingFeatureShare,
    string Prediction,
    bool PredictionDrifting,
    DriftAlertReason Reason = DriftAlertReason.Verdicts)
{
    /// <summary><c>drift_started</c> or <c>drift_stopped</c>.</summary>
    public string Event => Transition == DriftAlertTransition.Started ? "drift_started" : "drift_stopped";

    /// <summary><c>verdicts</c> or <c>version_removed</c>.</summary>
    public string ReasonName => Reason == DriftAlertReason.VersionRemoved ? "version_removed" : "verdicts";

    /// <summary>
    /// The stop of an open alert whose version's profile left the repository: no feature drifts any more, because none
    /// is watched; the window size is the last evaluation's.
    /// </summary>
    public static DriftAlert Removed(string model, string version, string prediction, DateTimeOffset at, long atRecord, int windowSize) =>
        new(model, version, DriftAlertTransition.Stopped, at, atRecord, windowSize, [], 0, prediction, false, DriftAlertReason.VersionRemoved);

    public static DriftAlert From(DriftReport report, DriftAlertTransition transition, DateTimeOffset at, long atRecord) => new(
        report.Model,
        report.Version,
        transition,
        at,
        atRecord,
        report.WindowSize,
        [.. report.Features.Where(f => f.IsDrifting).Select(f => f.Name)],
        report.DriftingFeatureShare,
        report.Prediction.Name,
        report.Prediction.IsDrifting);
}
