namespace Serving.Drift.Statistics;

/// <summary>Bonferroni correction: with k tests at family level α, each test rejects when p &lt; α / k.</summary>
internal static class Bonferroni
{
    /// <summary>The per-test significance level α / k (α itself when k is below 1).</summary>
    public static double PerTestLevel(double alpha, int tests) => alpha / Math.Max(1, tests);

    /// <summary>Whether <paramref name="pValue"/> is significant among <paramref name="tests"/> tests.</summary>
    public static bool IsSignificant(double pValue, double alpha, int tests) => pValue < PerTestLevel(alpha, tests);
}
