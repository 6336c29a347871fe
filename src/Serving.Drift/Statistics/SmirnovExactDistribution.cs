using System.Buffers;

namespace Serving.Drift.Statistics;

/// <summary>
/// Exact null distribution of the two-sided two-sample KS statistic (Smirnov), by the lattice-path
/// method of Hodges (1958): under H₀ every interleaving of the two samples is equally likely, so the
/// pooled order is a uniformly random monotone path from (0, 0) to (n, m), and
/// P(D ≥ d) is the probability that the path reaches a point with |i/n − j/m| ≥ d.
/// </summary>
/// <remarks>
/// Rather than counting paths (binomials overflow, and 1 − inside/total cancels for small p-values),
/// this walks the path as sequential sampling without replacement — from (i, j) the next value
/// comes from the first sample with probability (n − i)/(n + m − i − j) — and adds up the probability
/// mass at the first point where the path leaves the band. Every term is positive, so tiny p-values
/// keep their relative precision (the idea of Viehmann, arXiv:2102.08037). It assumes no ties, as
/// SciPy's ks_2samp(method='exact') does; with ties the result is the usual conservative reading.
/// Cost is O(n·m) time and O(min(n, m)) memory.
/// </remarks>
internal static class SmirnovExactDistribution
{
    private const int StackRow = 256;

    /// <summary>
    /// P(max |i·m − j·n| ≥ <paramref name="numerator"/>) over random paths, i.e. P(D ≥ numerator/(n·m)).
    /// </summary>
    public static double Survival(int n, int m, long numerator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        if (numerator <= 0)
        {
            return 1.0;
        }

        // The statistic is symmetric in the two samples; keep the shorter one along the row.
        if (m > n)
        {
            (n, m) = (m, n);
        }

        double[]? rented = null;
        Span<double> buffer = 2 * (m + 1) <= StackRow
            ? stackalloc double[2 * (m + 1)]
            : (rented = ArrayPool<double>.Shared.Rent(2 * (m + 1)));
        try
        {
            return Walk(n, m, numerator, buffer[..(m + 1)], buffer.Slice(m + 1, m + 1));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<double>.Shared.Return(rented);
            }
        }
    }

    private static double Walk(int n, int m, long numerator, Span<double> current, Span<double> next)
    {
        // current[j] = probability of reaching (i, j) while staying strictly inside the band.
        current.Clear();
        current[0] = 1.0;
        double outside = 0;
        for (int i = 0; i <= n; i++)
        {
            next.Clear();
            for (int j = 0; j <= m; j++)
            {
                double mass = current[j];
                int remaining = (n - i) + (m - j);
                if (mass == 0 || remaining == 0)
                {
                    continue;
                }

                if (j < m)
                {
                    Step(mass * (m - j) / remaining, IsOutside(i, j + 1, n, m, numerator), ref current[j + 1], ref outside);
                }

                if (i < n)
                {
                    Step(mass * (n - i) / remaining, IsOutside(i + 1, j, n, m, numerator), ref next[j], ref outside);
                }
            }

            Span<double> swap = current;
            current = next;
            next = swap;
        }

        return Math.Min(1.0, outside);
    }

    private static void Step(double mass, bool leaves, ref double target, ref double outside)
    {
        if (leaves)
        {
            outside += mass;
        }
        else
        {
            target += mass;
        }
    }

    private static bool IsOutside(int i, int j, int n, int m, long numerator) =>
        Math.Abs((long)i * m - (long)j * n) >= numerator;
}
