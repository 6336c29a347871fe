using System.Text.Json.Serialization;
using Serving.Drift.Alerts;
using Serving.Drift.Monitoring;
using Serving.Drift.Scoring;

namespace Serving.Drift.Hosting;

/// <summary>The JSON drift report: tallies, every watched version's latest evaluation, unknown versions and recent alerts.</summary>
internal sealed record ReportDocument(
    DateTimeOffset GeneratedAt,
    ReportTotals Totals,
    ThresholdsView Thresholds,
    IReadOnlyList<VersionReportView> Versions,
    IReadOnlyList<UnknownVersionView> UnknownVersions,
    IReadOnlyList<AlertView> RecentAlerts);

internal sealed record ReportTotals(long Received, long Archived, long Rejected, long UnknownVersion, long Evaluations);

internal sealed record ThresholdsView(double PsiModerate, double PsiMajor, double KsAlpha, double JsThreshold, double DriftShare, int MinimumWindowSize);

/// <summary>One version: its window and, once evaluated, its statistics and verdicts (window size reported with them).</summary>
internal sealed record VersionReportView(
    string Model,
    string Version,
    long RecordsSeen,
    int WindowCapacity,
    double? WindowMaxAgeSeconds,
    bool Alerting,
    long? Evaluation,
    long? EvaluatedAtRecord,
    DateTimeOffset? EvaluatedAt,
    int? WindowSize,
    bool? HasEnoughData,
    bool? Drifting,
    int? DriftingFeatureCount,
    double? DriftingFeatureShare,
    IReadOnlyList<string>? DriftingFeatures,
    ColumnView? Prediction,
    IReadOnlyList<ColumnView>? Features)
{
    public static VersionReportView From(VersionMonitor version)
    {
        var latest = version.Latest;
        var report = latest?.Report;
        var maxAge = version.Window.MaxAge == Timeout.InfiniteTimeSpan ? (double?)null : version.Window.MaxAge.TotalSeconds;
        return new VersionReportView(
            version.Model,
            version.Version,
            version.RecordsSeen,
            version.Window.Capacity,
            maxAge,
            latest?.Alerting ?? false,
            latest?.Number,
            latest?.AtRecord,
            latest?.EvaluatedAt,
            report?.WindowSize,
            report?.HasEnoughData,
            report?.IsDrifting,
            report?.DriftingFeatureCount,
            report?.DriftingFeatureShare,
            report?.Features.Where(f => f.IsDrifting).Select(f => f.Name).ToArray(),
            report is null ? null : ColumnView.From(report.Prediction),
            report?.Features.Select(ColumnView.From).ToArray());
    }
}

/// <summary>One column's statistics; NaN (no values) is written as null.</summary>
internal sealed record ColumnView(
    string Name,
    string Kind,
    int WindowSize,
    int ReferenceSize,
    double? Psi,
    string PsiBand,
    double? KsStatistic,
    double? KsPValue,
    bool? KsPValueExact,
    double? KsSignificanceLevel,
    double? JsDistance,
    IReadOnlyList<string> Signals,
    bool Drifting)
{
    public static ColumnView From(FeatureDriftResult result) => new(
        result.Name,
        result.Kind.ToString().ToLowerInvariant(),
        result.WindowSize,
        result.ReferenceSize,
        Finite(result.Psi),
        result.PsiBand.ToString().ToLowerInvariant(),
        Finite(result.KsStatistic),
        Finite(result.KsPValue),
        result.KsPValueIsExact,
        result.KsSignificanceLevel,
        Finite(result.JsDistance),
        SignalNames(result.Signals),
        result.IsDrifting);

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static string[] SignalNames(DriftSignals signals) =>
    [
        .. signals.HasFlag(DriftSignals.Psi) ? ["psi"] : Array.Empty<string>(),
        .. signals.HasFlag(DriftSignals.KolmogorovSmirnov) ? ["ks"] : Array.Empty<string>(),
        .. signals.HasFlag(DriftSignals.JensenShannon) ? ["js"] : Array.Empty<string>(),
    ];
}

internal sealed record UnknownVersionView(string Model, string Version, long Records);

internal sealed record AlertView(string Event, string Model, string Version, DateTimeOffset At, long AtRecord, int WindowSize, IReadOnlyList<string> DriftingFeatures, bool PredictionDrifting, string Reason)
{
    public static AlertView From(DriftAlert alert) =>
        new(alert.Event, alert.Model, alert.Version, alert.At, alert.AtRecord, alert.WindowSize, alert.DriftingFeatures, alert.PredictionDrifting, alert.ReasonName);
}

/// <summary>Source-generated JSON for the report (snake_case, nulls left out).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReportDocument))]
[JsonSerializable(typeof(VersionReportView))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

