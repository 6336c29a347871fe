using Serving.Drift.Statistics;

namespace Serving.Drift.Scoring;

/// <summary>When a feature, the prediction and a model version count as drifting.</summary>
/// <remarks>
/// A numeric column drifts when its PSI is in the major band (above <see cref="PsiMajor"/>) or its KS p-value is below
/// <see cref="KsAlpha"/> / k, k being the number of numeric input columns (Bonferroni; the
/// prediction is a family of one and is tested at <see cref="KsAlpha"/>). A categorical column
/// drifts when its Jensen–Shannon distance ≥ <see cref="JsThreshold"/>. A version drifts when the
/// share of drifting input columns ≥ <see cref="DriftShare"/> or the prediction drifts.
/// Nothing is flagged on fewer than <see cref="MinimumWindowSize"/> values. The scorer copies
/// these values when it is created, so later changes do not affect it.
/// </remarks>
public sealed class DriftThresholds
{
    /// <summary>Lower edge of the moderate PSI band (inclusive). Default 0.1.</summary>
    public double PsiModerate { get; set; } = PopulationStabilityIndex.DefaultModerate;

    /// <summary>
    /// Upper edge of the moderate PSI band; PSI above it is major, and a numeric column in the major
    /// band drifts. Default 0.25.
    /// </summary>
    public double PsiMajor { get; set; } = PopulationStabilityIndex.DefaultMajor;

    /// <summary>Family-wise KS significance level, split over the numeric columns. Default 0.05 (Alibi Detect).</summary>
    public double KsAlpha { get; set; } = 0.05;

    /// <summary>Jensen–Shannon distance (base 2) at or above which a categorical column drifts. Default 0.1 (Evidently).</summary>
    public double JsThreshold { get; set; } = 0.1;

    /// <summary>Share of drifting input columns at or above which the version drifts. Default 0.5 (Evidently).</summary>
    public double DriftShare { get; set; } = 0.5;

    /// <summary>Share used in place of an empty PSI bin on either side. Default 1e-4.</summary>
    public double PsiEpsilon { get; set; } = 1e-4;

    /// <summary>
    /// Fewest values a column (and the window) needs before anything is flagged. Default 500.
    /// </summary>
    /// <remarks>
    /// PSI and the JS distance are biased upward by sampling noise. With no drift, PSI is about
    /// (bins − 1)·(1/n + 1/N) and the squared JS distance about (categories − 1)/(8·n·ln 2). For
    /// 10 classes at n = 200 that puts the expected JS distance at 0.09, so a 0.1 threshold would
    /// fire on roughly a quarter of windows. At n = 500 the rate is about 0.1%.
    /// </remarks>
    public int MinimumWindowSize { get; set; } = 500;

    /// <summary>The band of <paramref name="psi"/> on these edges.</summary>
    internal PsiBand PsiBandOf(double psi) => PopulationStabilityIndex.Classify(psi, PsiModerate, PsiMajor);

    internal DriftThresholds Copy() => (DriftThresholds)MemberwiseClone();

    internal void ThrowIfInvalid()
    {
        Check(double.IsFinite(PsiModerate) && PsiModerate > 0, nameof(PsiModerate), PsiModerate, "must be a positive number");
        Check(double.IsFinite(PsiMajor) && PsiMajor > 0, nameof(PsiMajor), PsiMajor, "must be a positive number");
        Check(PsiModerate < PsiMajor, nameof(PsiModerate), PsiModerate, $"must be below {nameof(PsiMajor)} ({PsiMajor})");
        Check(KsAlpha is > 0 and <= 1, nameof(KsAlpha), KsAlpha, "must be in (0, 1]");
        Check(JsThreshold is > 0 and <= 1, nameof(JsThreshold), JsThreshold, "must be in (0, 1]");
        Check(DriftShare is > 0 and <= 1, nameof(DriftShare), DriftShare, "must be in (0, 1]");
        Check(PsiEpsilon is > 0 and < 1, nameof(PsiEpsilon), PsiEpsilon, "must be in (0, 1)");
        Check(MinimumWindowSize >= 1, nameof(MinimumWindowSize), MinimumWindowSize, "must be at least 1");
    }

    private static void Check(bool valid, string name, object value, string rule)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{nameof(DriftThresholds)}.{name} {rule}.");
        }
    }
}
