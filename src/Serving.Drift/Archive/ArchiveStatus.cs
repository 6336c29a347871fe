namespace Serving.Drift.Archive;

/// <summary>What the monitor did with an archived record.</summary>
internal enum ArchiveStatus
{
    /// <summary>Added to its version's window.</summary>
    Scored,

    /// <summary>No reference profile for its model version: kept, not scored.</summary>
    UnknownVersion,
}
