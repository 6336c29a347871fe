using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.DriftBench;

/// <summary>One ingest run against a fresh sidecar.</summary>
/// <param name="Label">What was measured, e.g. <c>archive on, fsync per batch (default)</c>.</param>
/// <param name="FlushToDisk">The sidecar's <c>Archive:FlushToDisk</c>.</param>
/// <param name="Streams">Concurrent ingest streams.</param>
/// <param name="BatchSize">Records per batch.</param>
/// <param name="MaxUnackedBatches">Batches in flight per stream.</param>
/// <param name="MeasuredSeconds">The measured window as it happened.</param>
/// <param name="MeasuredRecords">Records acknowledged (accepted) within the window.</param>
/// <param name="RecordsPerSecond">MeasuredRecords / MeasuredSeconds.</param>
/// <param name="RecordBytes">Mean bytes of one record on the wire (its share of a batch message).</param>
/// <param name="BatchesAcked">Acks received over the whole run (warmup included).</param>
/// <param name="RecordsAcked">Records accepted over the whole run.</param>
/// <param name="RecordsRejected">Records refused over the whole run (expected 0: every record is valid).</param>
/// <param name="SidecarArchived">The sidecar's own count of archived records at the end.</param>
/// <param name="SidecarScored">Records the sidecar added to its windows (scoring happens off the ack path, so it may trail).</param>
/// <param name="Archive">Files, bytes and lines in the archive folder after the run.</param>
/// <param name="AckLatency">From writing a batch to reading its ack, in the window.</param>
/// <param name="ProcessCpuCores">Cores this process (client and sidecar) used over the run.</param>
/// <param name="OtherCpuCores">Cores other processes used over the run.</param>
/// <param name="CpuMicrosPerRecord">This process's CPU time (client and sidecar) per acknowledged record over the run: steadier than records/s on a busy machine.</param>
/// <param name="Error">Why the run ended early, if it did.</param>
internal sealed record IngestResult(
    string Label,
    bool FlushToDisk,
    int Streams,
    int BatchSize,
    int MaxUnackedBatches,
    double MeasuredSeconds,
    long MeasuredRecords,
    double RecordsPerSecond,
    double RecordBytes,
    long BatchesAcked,
    long RecordsAcked,
    long RecordsRejected,
    long SidecarArchived,
    long SidecarScored,
    ArchiveCount? Archive,
    LatencySummary AckLatency,
    double ProcessCpuCores,
    double? OtherCpuCores,
    double CpuMicrosPerRecord,
    string? Error)
{
    /// <summary>True when every acknowledged record is a line in the archive and the sidecar agrees with the client.</summary>
    public bool AckedIsOnDisk => Archive is { } a && a.Lines == RecordsAcked && SidecarArchived == RecordsAcked;
}
