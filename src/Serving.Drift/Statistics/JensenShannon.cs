namespace Serving.Drift.Statistics;

/// <summary>
/// Jensen–Shannon distance, base 2: √JSD(P, Q) with JSD = ½ KL(P‖M) + ½ KL(Q‖M), M = ½(P + Q).
/// Lies in [0, 1]: 0 for identical distributions, 1 for disjoint ones.
/// </summary>
/// <remarks>
/// Inputs are non-negative weights (counts or shares); each side is normalized by its own total,
/// so counts and shares can be mixed. A category missing on one side has weight 0 there.
/// The distance is NaN when either side's total is 0.
/// </remarks>
internal static class JensenShannon
{
    /// <summary>Distance between two aligned weight vectors (same category at the same index).</summary>
    public static double Distance(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length)
        {
            throw new ArgumentException("Both distributions need one weight per category.", nameof(q));
        }

        double totalP = Total(p, nameof(p));
        double totalQ = Total(q, nameof(q));
        if (totalP <= 0 || totalQ <= 0)
        {
            return double.NaN;
        }

        double divergence = 0;
        for (int i = 0; i < p.Length; i++)
        {
            divergence += Term(p[i] / totalP, q[i] / totalQ);
        }

        return FromDivergence(divergence);
    }

    /// <summary>Distance between two category → weight maps over the union of their categories.</summary>
    public static double Distance<TKey>(IReadOnlyDictionary<TKey, double> p, IReadOnlyDictionary<TKey, double> q)
        where TKey : notnull
    {
        double totalP = Total(p.Values, nameof(p));
        double totalQ = Total(q.Values, nameof(q));
        if (totalP <= 0 || totalQ <= 0)
        {
            return double.NaN;
        }

        double divergence = 0;
        foreach ((TKey key, double weight) in p)
        {
            divergence += Term(weight / totalP, q.TryGetValue(key, out double other) ? other / totalQ : 0);
        }

        foreach ((TKey key, double weight) in q)
        {
            if (!p.ContainsKey(key))
            {
                divergence += Term(0, weight / totalQ);
            }
        }

        return FromDivergence(divergence);
    }

    // One category's share of 2·JSD: p·log₂(p/m) + q·log₂(q/m), where 0·log 0 = 0.
    private static double Term(double p, double q)
    {
        double m = (p + q) / 2;
        double term = 0;
        if (p > 0)
        {
            term += p * Math.Log2(p / m);
        }

        if (q > 0)
        {
            term += q * Math.Log2(q / m);
        }

        return term;
    }

    // Rounding can push the sum a hair outside [0, 2]; clamp before the square root.
    private static double FromDivergence(double twiceDivergence) => Math.Sqrt(Math.Clamp(twiceDivergence / 2, 0.0, 1.0));

    private static double Total(ReadOnlySpan<double> weights, string name)
    {
        double total = 0;
        foreach (double w in weights)
        {
            total += CheckWeight(w, name);
        }

        return total;
    }

    private static double Total(IEnumerable<double> weights, string name)
    {
        double total = 0;
        foreach (double w in weights)
        {
            total += CheckWeight(w, name);
        }

        return total;
    }

    private static double CheckWeight(double weight, string name) =>
        double.IsFinite(weight) && weight >= 0
            ? weight
            : throw new ArgumentException("Weights must be finite and non-negative.", name);
}
