namespace Serving.Drift.Statistics;

/// <summary>
/// Conventional reading of a population stability index (Lewis, credit scoring):
/// below 0.1 no shift, 0.1 to 0.25 moderate, above 0.25 major. The edges are the defaults of
/// <c>DriftThresholds.PsiModerate</c> and <c>DriftThresholds.PsiMajor</c>.
/// </summary>
public enum PsiBand
{
    /// <summary>PSI below the moderate edge (or not computable because the window had no values).</summary>
    None,

    /// <summary>PSI from the moderate edge up to and including the major edge.</summary>
    Moderate,

    /// <summary>PSI above the major edge; a numeric column in this band drifts.</summary>
    Major,
}
