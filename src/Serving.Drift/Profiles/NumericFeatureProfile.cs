namespace Serving.Drift.Profiles;

/// <summary>
/// Reference profile of a numeric column: decile bin edges with the reference share per bin,
/// mean and population std, and the reference sample kept sorted for the KS test.
/// </summary>
/// <remarks>
/// Bins: the first is [e₀, e₁], every other (a, b]. A constant column has edges [v, v] and one bin, which PSI
/// scores as three: below v, v, above v, the outer two with reference share ε.
/// </remarks>
public sealed class NumericFeatureProfile : FeatureProfile
{
    private readonly double[] _binEdges;
    private readonly double[] _proportions;
    private readonly double[] _sortedSample;

    internal NumericFeatureProfile(string name, double[] binEdges, double[] proportions, double mean, double std, double[] sortedSample)
        : base(name)
    {
        _binEdges = binEdges;
        _proportions = proportions;
        _sortedSample = sortedSample;
        Mean = mean;
        Std = std;
    }

    /// <inheritdoc />
    public override FeatureKind Kind => FeatureKind.Numeric;

    /// <summary>Ascending bin edges (deciles of the reference; duplicates removed).</summary>
    public ReadOnlySpan<double> BinEdges => _binEdges;

    /// <summary>Reference share per bin; one fewer than <see cref="BinEdges"/>, summing to 1.</summary>
    public ReadOnlySpan<double> Proportions => _proportions;

    /// <summary>Reference mean.</summary>
    public double Mean { get; }

    /// <summary>Reference population standard deviation (ddof = 0).</summary>
    public double Std { get; }

    /// <summary>The reference sample, sorted ascending once at load for the KS test.</summary>
    public ReadOnlySpan<double> SortedSample => _sortedSample;
}
