using Serving.Drift.Profiles;
using Serving.Drift.Statistics;

namespace Serving.Drift.Scoring;

/// <summary>The drift statistics of one input column (or the prediction) over one window.</summary>
public sealed class FeatureDriftResult
{
    /// <summary>Column name from the reference profile.</summary>
    public required string Name { get; init; }

    /// <summary>Numeric or categorical.</summary>
    public required FeatureKind Kind { get; init; }

    /// <summary>Values the statistics were computed on: the window's records minus missing (NaN) values.</summary>
    public required int WindowSize { get; init; }

    /// <summary>Reference size: the sample length (numeric) or the profile's row count (categorical).</summary>
    public required int ReferenceSize { get; init; }

    /// <summary>PSI on the reference bins (numeric) or categories (categorical); NaN with no values.</summary>
    public required double Psi { get; init; }

    /// <summary>The band of <see cref="Psi"/> on <see cref="DriftThresholds.PsiModerate"/> and <see cref="DriftThresholds.PsiMajor"/>.</summary>
    public required PsiBand PsiBand { get; init; }

    /// <summary>Two-sample KS statistic D against the reference sample; null for categorical columns.</summary>
    public double? KsStatistic { get; init; }

    /// <summary>Two-sided KS p-value; null for categorical columns.</summary>
    public double? KsPValue { get; init; }

    /// <summary>Whether <see cref="KsPValue"/> is exact (small samples) rather than asymptotic.</summary>
    public bool? KsPValueIsExact { get; init; }

    /// <summary>The per-test level the p-value was compared with (α / k); null for categorical columns.</summary>
    public double? KsSignificanceLevel { get; init; }

    /// <summary>Jensen–Shannon distance (base 2) to the reference shares; null for numeric columns.</summary>
    public double? JsDistance { get; init; }

    /// <summary>Which statistics crossed their thresholds (reported even below the minimum window size).</summary>
    public required DriftSignals Signals { get; init; }

    /// <summary>Drifting: some signal fired and the column had at least the minimum window size.</summary>
    public required bool IsDrifting { get; init; }
}
