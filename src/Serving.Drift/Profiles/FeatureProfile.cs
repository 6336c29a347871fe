namespace Serving.Drift.Profiles;

/// <summary>The reference distribution of one input column or of the prediction.</summary>
/// <remarks>Either a <see cref="NumericFeatureProfile"/> or a <see cref="CategoricalFeatureProfile"/>.</remarks>
public abstract class FeatureProfile
{
    // Only this assembly defines kinds, so a switch over the two subclasses is exhaustive.
    private protected FeatureProfile(string name) => Name = name;

    /// <summary>The column name from the profile (for the prediction, e.g. <c>probabilities[1]</c>).</summary>
    public string Name { get; }

    /// <summary>Numeric or categorical.</summary>
    public abstract FeatureKind Kind { get; }
}
