using System.Buffers;
using System.Diagnostics;
using Serving.Protocol.PredictionLogs;
using Serving.Protocol.Wire;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// One batch's records as they will go on the wire: each a <c>records</c> entry of <see cref="PredictionLogBatch"/>
/// (tag, length, <see cref="PredictionRecord"/> bytes) written one after another into a pooled buffer, with the
/// layouts whose schemas the records point at by index. Filled by <see cref="PredictionLogQueue"/> under its lock,
/// read-only once sealed, reused after its batch is acknowledged.
/// </summary>
internal sealed class LogSegment
{
    private const int InitialBytes = 64 * 1024;

    // A segment that grew past this for an unusually wide batch gives the buffer back when it is reused.
    private const int KeepAtMostBytes = 1024 * 1024;

    private static readonly byte RecordTag = ProtoWire.LengthDelimitedTag(PredictionLogBatch.RecordsFieldNumber);
    private static readonly byte SchemaTag = ProtoWire.LengthDelimitedTag(PredictionLogBatch.SchemasFieldNumber);
    private static readonly byte SchemaIndexTag = ProtoWire.VarintTag(PredictionRecord.SchemaFieldNumber);

    private readonly List<RecordLayout> _layouts = [];
    private readonly List<ActivityLink> _links = [];
    private byte[] _buffer = [];

    /// <summary>Records in the segment.</summary>
    public int Records { get; private set; }

    /// <summary>Bytes of the records' entries.</summary>
    public int Length { get; private set; }

    /// <summary>Bytes of the schemas' entries (each layout's schema once).</summary>
    public int SchemasLength { get; private set; }

    /// <summary>When the first record joined (a <see cref="Stopwatch"/> timestamp): the flush clock starts there.</summary>
    public long FirstRecordAt { get; private set; }

    /// <summary>The requests whose rows are in this segment, as links for the send span (empty when tracing is off).</summary>
    public IReadOnlyList<ActivityLink> Links => _links;

    /// <summary>What one more record of <paramref name="layout"/> with <paramref name="recordSize"/> body bytes adds to the batch message.</summary>
    public int EntrySize(RecordLayout layout, int recordSize)
    {
        var index = _layouts.IndexOf(layout);
        var schema = index < 0 ? 1 + ProtoWire.DelimitedSize(layout.SchemaBytes.Length) : 0;
        return schema + 1 + ProtoWire.DelimitedSize(SchemaIndexSize(index < 0 ? _layouts.Count : index) + recordSize);
    }

    /// <summary>
    /// Appends one record: its schema index, then <paramref name="record"/> (fields 2 to 8); <paramref name="origin"/> becomes a link.
    /// Returns the bytes the record's entry took (its schema, if new, is not copied: the layout holds it).
    /// </summary>
    public int Append(RecordLayout layout, ReadOnlySpan<byte> record, ActivityContext origin)
    {
        var index = _layouts.IndexOf(layout);
        if (index < 0)
        {
            index = _layouts.Count;
            _layouts.Add(layout);
            SchemasLength += 1 + ProtoWire.DelimitedSize(layout.SchemaBytes.Length);
        }

        var body = SchemaIndexSize(index) + record.Length;
        var span = Reserve(1 + ProtoWire.DelimitedSize(body));
        var at = ProtoWire.WriteDelimitedHeader(span, 0, RecordTag, body);
        if (index > 0)
        {
            span[at++] = SchemaIndexTag;
            at = ProtoWire.WriteVarint(span, at, (uint)index);
        }

        record.CopyTo(span[at..]);
        Length += span.Length;
        if (Records++ == 0)
        {
            FirstRecordAt = Stopwatch.GetTimestamp();
        }

        if (origin != default && _links.Count < PendingBatch.MaxLinks && !Contains(origin))
        {
            _links.Add(new ActivityLink(origin));
        }

        return span.Length;
    }

    /// <summary>Writes the schemas' entries, then the records' (the batch message but its sequence).</summary>
    public void WriteTo(IBufferWriter<byte> destination)
    {
        foreach (var layout in _layouts)
        {
            var schema = layout.SchemaBytes;
            var span = destination.GetSpan(1 + ProtoWire.DelimitedSize(schema.Length));
            var at = ProtoWire.WriteBytes(span, 0, SchemaTag, schema);
            destination.Advance(at);
        }

        destination.Write(_buffer.AsSpan(0, Length));
    }

    /// <summary>Empties the segment for reuse.</summary>
    public void Clear()
    {
        _layouts.Clear();
        _links.Clear();
        Records = 0;
        Length = 0;
        SchemasLength = 0;
        if (_buffer.Length > KeepAtMostBytes)
        {
            ReturnBuffer();
        }
    }

    /// <summary>Gives the buffer back to the pool (the segment is dropped).</summary>
    public void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    // Field 1 is left out at index 0, as proto3 leaves out a default.
    private static int SchemaIndexSize(int index) => index == 0 ? 0 : 1 + ProtoWire.VarintSize((uint)index);

    private Span<byte> Reserve(int bytes)
    {
        if (_buffer.Length - Length < bytes)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(checked(Length + bytes), Math.Max(InitialBytes, _buffer.Length * 2)));
            _buffer.AsSpan(0, Length).CopyTo(grown);
            ReturnBuffer();
            _buffer = grown;
        }

        return _buffer.AsSpan(Length, bytes);
    }

    // A request's rows share one origin; at most MaxLinks entries, so a scan is cheap.
    private bool Contains(in ActivityContext origin)
    {
        for (var i = _links.Count - 1; i >= 0; i--)
        {
            if (_links[i].Context == origin)
            {
                return true;
            }
        }

        return false;
    }
}
