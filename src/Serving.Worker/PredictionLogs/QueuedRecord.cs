using System.Diagnostics;
using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// A record on the queue with the schema that names its values; the batch it joins assigns the schema index.
/// <paramref name="Origin"/> is the request's "prediction log enqueue" span (default when tracing is off): the send span links to it.
/// <paramref name="Bytes"/> is what the record counts against the queue's byte capacity until the sender takes it.
/// </summary>
internal readonly record struct QueuedRecord(RecordSchema Schema, PredictionRecord Record, ActivityContext Origin, int Bytes);
