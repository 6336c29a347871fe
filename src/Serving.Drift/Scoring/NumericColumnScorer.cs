using Serving.Drift.Profiles;
using Serving.Drift.Statistics;

namespace Serving.Drift.Scoring;

/// <summary>PSI and two-sample KS of one numeric window column against its reference profile.</summary>
internal static class NumericColumnScorer
{
    /// <param name="profile">The column's reference.</param>
    /// <param name="values">The window column (unsorted, may hold NaN).</param>
    /// <param name="ksLevel">Per-test KS level, already Bonferroni-corrected.</param>
    /// <param name="thresholds">Drift thresholds.</param>
    /// <param name="scratch">At least <c>values.Length</c> doubles, reused across columns.</param>
    public static FeatureDriftResult Score(
        NumericFeatureProfile profile,
        ReadOnlySpan<double> values,
        double ksLevel,
        DriftThresholds thresholds,
        Span<double> scratch)
    {
        Span<double> sorted = SortedFinite(values, scratch);
        double psi = PopulationStabilityIndex.Compute(profile.BinEdges, profile.Proportions, sorted, thresholds.PsiEpsilon);
        KolmogorovSmirnovResult ks = KolmogorovSmirnov.Test(profile.SortedSample, sorted);
        PsiBand band = thresholds.PsiBandOf(psi);
        DriftSignals signals = DriftSignals.None;
        if (band == PsiBand.Major)
        {
            signals |= DriftSignals.Psi;
        }

        if (ks.PValue < ksLevel)
        {
            signals |= DriftSignals.KolmogorovSmirnov;
        }

        return new FeatureDriftResult
        {
            Name = profile.Name,
            Kind = FeatureKind.Numeric,
            WindowSize = sorted.Length,
            ReferenceSize = profile.SortedSample.Length,
            Psi = psi,
            PsiBand = band,
            KsStatistic = ks.Statistic,
            KsPValue = ks.PValue,
            KsPValueIsExact = ks.IsExact,
            KsSignificanceLevel = ksLevel,
            Signals = signals,
            IsDrifting = signals != DriftSignals.None && sorted.Length >= thresholds.MinimumWindowSize,
        };
    }

    // KS needs a sorted copy; span sort puts NaN first, so dropping missing values is a slice.
    private static Span<double> SortedFinite(ReadOnlySpan<double> values, Span<double> scratch)
    {
        Span<double> sorted = scratch[..values.Length];
        values.CopyTo(sorted);
        sorted.Sort();
        int firstNumber = 0;
        while (firstNumber < sorted.Length && double.IsNaN(sorted[firstNumber]))
        {
            firstNumber++;
        }

        return sorted[firstNumber..];
    }
}
