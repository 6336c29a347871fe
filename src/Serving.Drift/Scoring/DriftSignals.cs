namespace Serving.Drift.Scoring;

/// <summary>Which statistics crossed their thresholds for a column.</summary>
[Flags]
public enum DriftSignals
{
    /// <summary>No statistic crossed its threshold.</summary>
    None = 0,

    /// <summary>PSI in the major band, above <see cref="DriftThresholds.PsiMajor"/> (numeric columns).</summary>
    Psi = 1,

    /// <summary>KS p-value below the (Bonferroni-corrected) level (numeric columns).</summary>
    KolmogorovSmirnov = 2,

    /// <summary>Jensen–Shannon distance ≥ <see cref="DriftThresholds.JsThreshold"/> (categorical columns).</summary>
    JensenShannon = 4,
}
