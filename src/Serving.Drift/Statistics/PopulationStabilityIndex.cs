using System.Numerics;

namespace Serving.Drift.Statistics;

/// <summary>
/// Population stability index of a current sample against a reference binning:
/// PSI = Σ (cᵢ − rᵢ) · ln(cᵢ / rᵢ), with empty shares on either side replaced by ε.
/// </summary>
/// <remarks>
/// Bins follow the reference profile schema: the first bin is [e₀, e₁] (closed at both ends),
/// every other bin is (a, b]. Values below e₀ count in the first bin and values above the last
/// edge in the last bin, so every finite value is counted. NaN values are skipped.
/// A constant reference (edges [v, v], one bin) is scored on three bins instead: below v, v itself
/// and above v, the outer two with reference share 0 (so ε). Its one bin would hold every value,
/// and a column constant in training that varies now would score 0, its drift unseen.
/// </remarks>
internal static class PopulationStabilityIndex
{
    public const double DefaultEpsilon = 1e-4;
    public const double DefaultModerate = 0.1;
    public const double DefaultMajor = 0.25;

    // Up to this many bins the per-call counts live on the stack.
    private const int StackBins = 128;

    /// <summary>PSI of <paramref name="current"/> on the reference bins; NaN when no value is counted.</summary>
    public static double Compute(
        ReadOnlySpan<double> binEdges,
        ReadOnlySpan<double> referenceShares,
        ReadOnlySpan<double> current,
        double epsilon = DefaultEpsilon)
    {
        ThrowIfBinsInvalid(binEdges, referenceShares);
        if (IsConstant(binEdges))
        {
            return ComputeConstant(binEdges[0], referenceShares[0], current, epsilon);
        }

        Span<int> counts = referenceShares.Length <= StackBins
            ? stackalloc int[referenceShares.Length]
            : new int[referenceShares.Length];
        int total = CountIntoBins(binEdges, current, counts);
        return FromCounts<int>(referenceShares, counts, total, epsilon);
    }

    /// <summary>Adds each non-NaN value to its bin's count and returns how many were counted.</summary>
    public static int CountIntoBins(ReadOnlySpan<double> binEdges, ReadOnlySpan<double> values, Span<int> counts)
    {
        counts.Clear();
        int total = 0;
        foreach (double value in values)
        {
            if (double.IsNaN(value))
            {
                continue;
            }

            counts[BinOf(binEdges, value)]++;
            total++;
        }

        return total;
    }

    /// <summary>Index of the bin holding <paramref name="value"/>; out-of-range values go to the end bins.</summary>
    public static int BinOf(ReadOnlySpan<double> binEdges, double value)
    {
        // The upper edges of bins 0..B-2 are e₁..e_{B-1}; the first upper edge ≥ value names the bin
        // (upper edges are inclusive), and anything above them all lands in the last bin, B-1.
        ReadOnlySpan<double> upperEdges = binEdges[1..^1];
        int index = upperEdges.BinarySearch(value);
        return index >= 0 ? index : ~index;
    }

    /// <summary>PSI from per-bin counts of the current sample; NaN when <paramref name="total"/> is 0.</summary>
    public static double FromCounts<T>(ReadOnlySpan<double> referenceShares, ReadOnlySpan<T> counts, int total, double epsilon)
        where T : INumberBase<T>
    {
        if (counts.Length != referenceShares.Length)
        {
            throw new ArgumentException("One count per reference bin is required.", nameof(counts));
        }

        if (total <= 0)
        {
            return double.NaN;
        }

        double psi = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            double count = double.CreateChecked(counts[i]);
            double c = count > 0 ? count / total : epsilon;
            double r = referenceShares[i] > 0 ? referenceShares[i] : epsilon;
            psi += (c - r) * Math.Log(c / r);
        }

        return psi;
    }

    /// <summary>True for a constant reference's single degenerate bin [v, v].</summary>
    public static bool IsConstant(ReadOnlySpan<double> binEdges) => binEdges.Length == 2 && binEdges[0] == binEdges[1];

    // Bins (−∞, v), [v, v], (v, ∞) with reference shares 0, the bin's own share (1), 0.
    private static double ComputeConstant(double constant, double share, ReadOnlySpan<double> current, double epsilon)
    {
        Span<int> counts = stackalloc int[3];
        int total = 0;
        foreach (double value in current)
        {
            if (double.IsNaN(value))
            {
                continue;
            }

            counts[value < constant ? 0 : value == constant ? 1 : 2]++;
            total++;
        }

        ReadOnlySpan<double> shares = [0, share, 0];
        return FromCounts<int>(shares, counts, total, epsilon);
    }

    /// <summary>
    /// Band of a PSI value: below <paramref name="moderate"/> none, from it up to and including
    /// <paramref name="major"/> moderate, above <paramref name="major"/> major (by default &lt; 0.1,
    /// 0.1–0.25, &gt; 0.25). NaN is none.
    /// </summary>
    public static PsiBand Classify(double psi, double moderate = DefaultModerate, double major = DefaultMajor) =>
        psi > major ? PsiBand.Major
        : psi >= moderate ? PsiBand.Moderate
        : PsiBand.None;

    private static void ThrowIfBinsInvalid(ReadOnlySpan<double> binEdges, ReadOnlySpan<double> referenceShares)
    {
        if (referenceShares.Length < 1 || binEdges.Length != referenceShares.Length + 1)
        {
            throw new ArgumentException("Bins need at least two edges and one share per bin (edges − 1).", nameof(referenceShares));
        }
    }
}
