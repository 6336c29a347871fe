using System.Diagnostics;
using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>A batch built from queued records, kept until acknowledged so it can be re-sent once on a new stream.</summary>
internal sealed class PendingBatch
{
    /// <summary>Most request spans one send span links to (OpenTelemetry keeps 128 links per span by default).</summary>
    public const int MaxLinks = 32;

    private PendingBatch(PredictionLogBatch message, int count, IReadOnlyList<ActivityLink>? links = null)
    {
        Message = message;
        Count = count;
        Links = links;
    }

    public PredictionLogBatch Message { get; }

    /// <summary>Records in the batch.</summary>
    public int Count { get; }

    /// <summary>Streams this batch was written to.</summary>
    public int Attempts { get; set; }

    public ulong Sequence => Message.Sequence;

    /// <summary>The requests whose rows ride in this batch, as links for the send span (null when tracing is off).</summary>
    public IReadOnlyList<ActivityLink>? Links { get; }

    /// <summary>Packs records into one message; each distinct schema is sent once and records point at it by index.</summary>
    public static PendingBatch From(IReadOnlyList<QueuedRecord> records)
    {
        var message = new PredictionLogBatch();
        var indexes = new Dictionary<RecordSchema, int>(ReferenceEqualityComparer.Instance);
        List<ActivityLink>? links = null;
        foreach (var (schema, record, origin, _) in records)
        {
            if (origin != default && (links ??= []).Count < MaxLinks && !Contains(links, origin))
            {
                links.Add(new ActivityLink(origin));
            }

            if (!indexes.TryGetValue(schema, out var index))
            {
                index = indexes.Count;
                indexes.Add(schema, index);
                message.Schemas.Add(schema);
            }

            record.Schema = index;
            message.Records.Add(record);
        }

        return new PendingBatch(message, records.Count, links);
    }

    // A request's rows share one origin; at most MaxLinks entries, so a scan is cheap.
    private static bool Contains(List<ActivityLink> links, in ActivityContext origin)
    {
        for (var i = links.Count - 1; i >= 0; i--)
        {
            if (links[i].Context == origin)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An empty batch opening a stream: its ack proves the monitor is there before any record rides on it.</summary>
    public static PendingBatch Hello() => new(new PredictionLogBatch(), 0);
}
