using System.Buffers;
using System.Diagnostics;
using Serving.Protocol.PredictionLogs;
using Serving.Protocol.Wire;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// A batch taken from the queue, kept until acknowledged so it can be re-sent once on a new stream. On the wire
/// it is a <see cref="PredictionLogBatch"/>: its sequence (assigned per write), then the segment's schemas and
/// records, already encoded.
/// </summary>
internal sealed class PendingBatch
{
    /// <summary>Most request spans one send span links to (OpenTelemetry keeps 128 links per span by default).</summary>
    public const int MaxLinks = 32;

    private static readonly byte SequenceTag = ProtoWire.VarintTag(PredictionLogBatch.SequenceFieldNumber);

    private readonly LogSegment? _segment;
    private readonly PredictionLogQueue? _owner;

    private PendingBatch(LogSegment? segment, PredictionLogQueue? owner)
    {
        _segment = segment;
        _owner = owner;
        Count = segment?.Records ?? 0;
    }

    /// <summary>Records in the batch.</summary>
    public int Count { get; }

    /// <summary>Streams this batch was written to.</summary>
    public int Attempts { get; set; }

    /// <summary>
    /// Of <see cref="Attempts"/>, the streams the monitor ended saying the batch is not in its archive
    /// (<see cref="IngestTrailers.NotArchived"/>): those don't use up its one re-send.
    /// </summary>
    public int NotArchived { get; set; }

    /// <summary>The sequence of its latest write (echoed in the ack); 0 before the first.</summary>
    public ulong Sequence { get; set; }

    /// <summary>The requests whose rows ride in this batch, as links for the send span (null when tracing is off).</summary>
    public IReadOnlyList<ActivityLink>? Links => _segment is { Links.Count: > 0 } segment ? segment.Links : null;

    /// <summary>The message's size on the wire.</summary>
    public int MessageSize =>
        (Sequence != 0 ? 1 + ProtoWire.VarintSize(Sequence) : 0) + (_segment is { } s ? s.SchemasLength + s.Length : 0);

    /// <summary>A batch of the segment taken from <paramref name="owner"/>, which gets it back on <see cref="Release"/>.</summary>
    public static PendingBatch Of(LogSegment segment, PredictionLogQueue owner) => new(segment, owner);

    /// <summary>An empty batch opening a stream: its ack proves the monitor is there before any record rides on it.</summary>
    public static PendingBatch Hello() => new(null, null);

    /// <summary>Writes the message (<see cref="MessageSize"/> bytes).</summary>
    public void WriteTo(IBufferWriter<byte> destination)
    {
        if (Sequence != 0)
        {
            var span = destination.GetSpan(1 + ProtoWire.MaxVarintBytes);
            span[0] = SequenceTag;
            destination.Advance(ProtoWire.WriteVarint(span, 1, Sequence));
        }

        _segment?.WriteTo(destination);
    }

    /// <summary>The message as bytes.</summary>
    public byte[] ToArray()
    {
        var bytes = new ArrayBufferWriter<byte>(Math.Max(1, MessageSize));
        WriteTo(bytes);
        return bytes.WrittenSpan.ToArray();
    }

    /// <summary>The batch is done with (acknowledged, lost or counted unsent): its segment goes back to the queue for reuse.</summary>
    public void Release()
    {
        if (_segment is not null)
        {
            _owner!.Return(_segment);
        }
    }
}
