using Serving.Drift.Ingest;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Archive;

/// <summary>One received record with the schema that names its values.</summary>
internal readonly record struct ArchiveEntry(RecordSchema Schema, IngestRecord Record, ArchiveStatus Status);
