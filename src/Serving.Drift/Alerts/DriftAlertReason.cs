namespace Serving.Drift.Alerts;

/// <summary>Why an alert started or stopped.</summary>
internal enum DriftAlertReason
{
    /// <summary><c>verdicts</c>: Alerts:ConsecutiveVerdicts verdicts in a row.</summary>
    Verdicts,

    /// <summary><c>version_removed</c>: the version's reference profile left the repository while its alert was open.</summary>
    VersionRemoved,
}
