using Serving.Drift.Monitoring;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// What the monitor makes of one record schema: the version's monitor and projection (known
/// version), no monitor (unknown version: archive only), or why its records are refused.
/// </summary>
internal sealed record SchemaBinding(RecordSchema Schema, int OutputValues, VersionMonitor? Monitor, RecordProjection? Projection, string? RejectReason, string? RejectCode)
{
    /// <summary>Records of this schema are archived but not scored.</summary>
    public bool IsUnknownVersion => Monitor is null && RejectReason is null;
}
