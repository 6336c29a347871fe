namespace Serving.Drift.Statistics;

/// <summary>
/// Conventional reading of a population stability index (Lewis, credit scoring):
/// below 0.1 no shift, 0.1 to 0.25 moderate, above 0.25 major.
/// </summary>
public enum PsiBand
{
    /// <summary>PSI below 0.1 (or not computable because the window had no values).</summary>
    None,

    /// <summary>PSI from 0.1 up to and including 0.25.</summary>
    Moderate,

    /// <summary>PSI above 0.25.</summary>
    Major,
}
