namespace Serving.Drift.Profiles;

/// <summary>
/// The reference distributions of one model version (its <c>reference.json</c>): one profile per
/// input column in input order, and one for the prediction.
/// </summary>
public sealed class ReferenceProfile
{
    internal ReferenceProfile(string model, string version, int rows, IReadOnlyList<FeatureProfile> features, FeatureProfile prediction)
    {
        Model = model;
        Version = version;
        Rows = rows;
        Features = features;
        Prediction = prediction;
        NumericFeatureCount = features.Count(f => f.Kind == FeatureKind.Numeric);
    }

    /// <summary>Model name.</summary>
    public string Model { get; }

    /// <summary>Model version.</summary>
    public string Version { get; }

    /// <summary>How many rows the reference was computed on.</summary>
    public int Rows { get; }

    /// <summary>Input column profiles, in input column order.</summary>
    public IReadOnlyList<FeatureProfile> Features { get; }

    /// <summary>The prediction's profile (numeric, e.g. a class probability, or categorical, e.g. the class).</summary>
    public FeatureProfile Prediction { get; }

    /// <summary>How many input columns are numeric: the size of the KS test family (Bonferroni k).</summary>
    public int NumericFeatureCount { get; }

    /// <summary>The same profile under another model name and version (the folder it was found in).</summary>
    internal ReferenceProfile Named(string model, string version) => new(model, version, Rows, Features, Prediction);
}
