namespace Serving.Drift.Statistics;

/// <summary>
/// Two-sample Kolmogorov–Smirnov test on sorted samples: D = sup |F₁ − F₂| over the pooled sample,
/// with an exact two-sided p-value for small samples and the asymptotic Kolmogorov distribution
/// (Stephens' correction) otherwise.
/// </summary>
internal static class KolmogorovSmirnov
{
    /// <summary>Up to this product of sample sizes the p-value is exact (SmirnovExactDistribution).</summary>
    public const long ExactMaxProduct = 10_000;

    /// <summary>Runs the test. Both samples must be sorted ascending and free of NaN.</summary>
    public static KolmogorovSmirnovResult Test(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        if (sortedA.IsEmpty || sortedB.IsEmpty)
        {
            return KolmogorovSmirnovResult.Undefined;
        }

        int n = sortedA.Length;
        int m = sortedB.Length;
        long numerator = StatisticNumerator(sortedA, sortedB);
        double d = numerator / ((double)n * m);
        return (long)n * m <= ExactMaxProduct
            ? new(d, SmirnovExactDistribution.Survival(n, m, numerator), true)
            : new(d, AsymptoticPValue(d, n, m), false);
    }

    /// <summary>D for two sorted samples (NaN when either is empty).</summary>
    public static double Statistic(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB) =>
        sortedA.IsEmpty || sortedB.IsEmpty
            ? double.NaN
            : StatisticNumerator(sortedA, sortedB) / ((double)sortedA.Length * sortedB.Length);

    /// <summary>
    /// Asymptotic two-sided p-value Q_KS(λ) with effective n = n·m/(n+m) and Stephens' correction
    /// λ = (√nₑ + 0.12 + 0.11/√nₑ)·D (Numerical Recipes), closer to finite samples than √nₑ·D.
    /// </summary>
    public static double AsymptoticPValue(double d, int n, int m)
    {
        double sqrtNe = Math.Sqrt((double)n * m / ((double)n + m));
        return KolmogorovDistribution.Survival((sqrtNe + 0.12 + 0.11 / sqrtNe) * d);
    }

    /// <summary>
    /// n·m·D as an integer: max |i·m − j·n| where i, j count the values ≤ x in each sample.
    /// Integers keep D exact, so the exact p-value compares lattice points without rounding.
    /// </summary>
    internal static long StatisticNumerator(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        int n = sortedA.Length;
        int m = sortedB.Length;
        int i = 0;
        int j = 0;
        long best = 0;
        while (i < n && j < m)
        {
            // Step both ECDFs past every copy of the next pooled value, so ties are never split.
            double x = Math.Min(sortedA[i], sortedB[j]);
            while (i < n && sortedA[i] == x)
            {
                i++;
            }

            while (j < m && sortedB[j] == x)
            {
                j++;
            }

            best = Math.Max(best, Math.Abs((long)i * m - (long)j * n));
        }

        // Once one sample is exhausted the gap only shrinks toward 0, so the maximum is already seen.
        return best;
    }
}
