using System.Collections.Frozen;

namespace Serving.Drift.Profiles;

/// <summary>Reference profile of a categorical column: the share of each label.</summary>
/// <remarks>
/// Windows store a categorical value as its category code: the label's index in
/// <see cref="Categories"/> (file order). Any other value (−1, out of range, not an integer)
/// counts as a label the reference never saw; NaN counts as missing.
/// </remarks>
public sealed class CategoricalFeatureProfile : FeatureProfile
{
    private readonly string[] _categories;
    private readonly double[] _shares;
    private readonly FrozenDictionary<string, int> _codes;

    internal CategoricalFeatureProfile(string name, string[] categories, double[] shares)
        : base(name)
    {
        _categories = categories;
        _shares = shares;
        _codes = categories.Select((label, code) => KeyValuePair.Create(label, code)).ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public override FeatureKind Kind => FeatureKind.Categorical;

    /// <summary>The labels in file order; a label's index is its category code.</summary>
    public IReadOnlyList<string> Categories => _categories;

    /// <summary>Reference share per category, aligned with <see cref="Categories"/>, summing to 1.</summary>
    public ReadOnlySpan<double> Shares => _shares;

    /// <summary>The code to record for <paramref name="label"/>, or −1 if the reference never saw it.</summary>
    public int CodeOf(string label) => _codes.TryGetValue(label, out int code) ? code : -1;
}
