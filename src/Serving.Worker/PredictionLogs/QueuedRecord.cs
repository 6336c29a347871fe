using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>A record on the queue with the schema that names its values; the batch it joins assigns the schema index.</summary>
internal readonly record struct QueuedRecord(RecordSchema Schema, PredictionRecord Record);
