namespace Serving.Drift.Scoring;

/// <summary>What a new verdict did to a <see cref="DriftAlertState"/>.</summary>
public enum DriftAlertTransition
{
    /// <summary>No change.</summary>
    None,

    /// <summary>Drift alert started.</summary>
    Started,

    /// <summary>Drift alert stopped.</summary>
    Stopped,
}
