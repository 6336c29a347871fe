namespace Serving.Drift.Profiles;

/// <summary>How a feature (or the prediction) is profiled and compared.</summary>
public enum FeatureKind
{
    /// <summary>Real-valued: decile bins, proportions and a reference sample.</summary>
    Numeric,

    /// <summary>Labels with reference shares.</summary>
    Categorical,
}
