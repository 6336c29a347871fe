using Serving.Drift.Scoring;

namespace Serving.Drift.Alerts;

/// <summary>A model version started or stopped drifting.</summary>
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
    bool PredictionDrifting)
{
    /// <summary><c>drift_started</c> or <c>drift_stopped</c>.</summary>
    public string Event => Transition == DriftAlertTransition.Started ? "drift_started" : "drift_stopped";

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
