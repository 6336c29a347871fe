using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>A batch built from queued records, kept until acknowledged so it can be re-sent once on a new stream.</summary>
internal sealed class PendingBatch
{
    private PendingBatch(PredictionLogBatch message, int count)
    {
        Message = message;
        Count = count;
    }

    public PredictionLogBatch Message { get; }

    /// <summary>Records in the batch.</summary>
    public int Count { get; }

    /// <summary>Streams this batch was written to.</summary>
    public int Attempts { get; set; }

    public ulong Sequence => Message.Sequence;

    /// <summary>Packs records into one message; each distinct schema is sent once and records point at it by index.</summary>
    public static PendingBatch From(IReadOnlyList<QueuedRecord> records)
    {
        var message = new PredictionLogBatch();
        var indexes = new Dictionary<RecordSchema, int>(ReferenceEqualityComparer.Instance);
        foreach (var (schema, record) in records)
        {
            if (!indexes.TryGetValue(schema, out var index))
            {
                index = indexes.Count;
                indexes.Add(schema, index);
                message.Schemas.Add(schema);
            }

            record.Schema = index;
            message.Records.Add(record);
        }

        return new PendingBatch(message, records.Count);
    }

    /// <summary>An empty batch opening a stream: its ack proves the monitor is there before any record rides on it.</summary>
    public static PendingBatch Hello() => new(new PredictionLogBatch(), 0);
}
