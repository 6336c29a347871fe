using System.Buffers;
using Serving.Drift.Profiles;
using Serving.Drift.Statistics;

namespace Serving.Drift.Scoring;

/// <summary>Jensen–Shannon distance and PSI of one categorical window column against its reference shares.</summary>
/// <remarks>
/// Values are category codes (see <see cref="CategoricalFeatureProfile.CodeOf(string)"/>). Codes the
/// reference does not know share one extra "unseen" category with reference share 0, so new labels
/// raise the distance instead of vanishing; NaN is missing and not counted.
/// </remarks>
internal static class CategoricalColumnScorer
{
    private const int StackCategories = 128;

    public static FeatureDriftResult Score(CategoricalFeatureProfile profile, int referenceRows, ReadOnlySpan<double> values, DriftThresholds thresholds)
    {
        int buckets = profile.Categories.Count + 1;
        double[]? rented = null;
        Span<double> buffer = 2 * buckets <= StackCategories
            ? stackalloc double[2 * buckets]
            : (rented = ArrayPool<double>.Shared.Rent(2 * buckets));
        try
        {
            return Score(profile, referenceRows, values, thresholds, buffer[..buckets], buffer.Slice(buckets, buckets));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        }
    }

    private static FeatureDriftResult Score(
        CategoricalFeatureProfile profile,
        int referenceRows,
        ReadOnlySpan<double> values,
        DriftThresholds thresholds,
        Span<double> reference,
        Span<double> counts)
    {
        profile.Shares.CopyTo(reference);
        reference[^1] = 0;
        int total = Count(values, counts);
        double js = total > 0 ? JensenShannon.Distance(reference, counts) : double.NaN;
        double psi = PopulationStabilityIndex.FromCounts<double>(reference, counts, total, thresholds.PsiEpsilon);
        DriftSignals signals = js >= thresholds.JsThreshold ? DriftSignals.JensenShannon : DriftSignals.None;
        return new FeatureDriftResult
        {
            Name = profile.Name,
            Kind = FeatureKind.Categorical,
            WindowSize = total,
            ReferenceSize = referenceRows,
            Psi = psi,
            PsiBand = thresholds.PsiBandOf(psi),
            JsDistance = js,
            Signals = signals,
            IsDrifting = signals != DriftSignals.None && total >= thresholds.MinimumWindowSize,
        };
    }

    private static int Count(ReadOnlySpan<double> values, Span<double> counts)
    {
        counts.Clear();
        int unseen = counts.Length - 1;
        int total = 0;
        foreach (double value in values)
        {
            if (double.IsNaN(value))
            {
                continue;
            }

            bool known = value >= 0 && value < unseen && value == Math.Floor(value);
            counts[known ? (int)value : unseen]++;
            total++;
        }

        return total;
    }
}
