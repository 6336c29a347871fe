namespace Serving.Drift.Statistics;

/// <summary>
/// The Kolmogorov distribution's survival function Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
/// </summary>
/// <remarks>
/// The alternating series converges slowly for small λ, so below 1.18 this uses the equivalent
/// Jacobi-theta form P_KS(λ) = √(2π)/λ · Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)} and returns 1 − P_KS, as
/// Numerical Recipes (3rd ed., §6.14) does; both series then need only a handful of terms.
/// </remarks>
internal static class KolmogorovDistribution
{
    private const double SeriesSwitch = 1.18;
    private const int MaxTerms = 100;

    /// <summary>Q_KS(λ) = P(K &gt; λ); 1 for λ ≤ 0.</summary>
    public static double Survival(double lambda)
    {
        if (double.IsNaN(lambda))
        {
            return double.NaN;
        }

        if (lambda <= 0)
        {
            return 1.0;
        }

        return lambda < SeriesSwitch ? 1.0 - ThetaCdf(lambda) : AlternatingSurvival(lambda);
    }

    private static double ThetaCdf(double lambda)
    {
        double a = -Math.PI * Math.PI / (8 * lambda * lambda);
        double sum = 0;
        for (int k = 1; k <= MaxTerms; k++)
        {
            double odd = 2 * k - 1;
            double term = Math.Exp(a * odd * odd);
            sum += term;
            if (term <= 1e-17 * sum)
            {
                break;
            }
        }

        return Math.Sqrt(2 * Math.PI) / lambda * sum;
    }

    private static double AlternatingSurvival(double lambda)
    {
        double a = -2 * lambda * lambda;
        double sum = 0;
        double sign = 1;
        for (int k = 1; k <= MaxTerms; k++)
        {
            double term = Math.Exp(a * k * k);
            sum += sign * term;
            if (term <= 1e-17 * Math.Abs(sum))
            {
                break;
            }

            sign = -sign;
        }

        return Math.Clamp(2 * sum, 0.0, 1.0);
    }
}
