using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// A received <see cref="PredictionLogBatch"/>, read without a message object per record: the message's bytes are
/// copied once into a buffer, records point into it, and their values go into one array. The batch objects (with
/// their record objects) are pooled and the two arrays rented from the shared <see cref="ArrayPool{T}"/>s, which serve
/// any number of streams and let memory go once it is idle; so a steady stream allocates nothing per record and
/// nothing lives long enough to reach an older generation of the GC (a batch of message objects lived through the
/// archive's fsync, and its thousands of objects were promoted). The schemas, a few per batch, are parsed by
/// Google.Protobuf.
/// </summary>
/// <remarks>
/// Reads what Google.Protobuf reads, the same way: fields in any order, the last of a repeated scalar wins, repeated
/// doubles packed or not, unknown fields (and known ones with another wire type) skipped. What it refuses (truncated
/// fields, tag 0, wire types 6 and 7 among a message's fields, unmatched groups, strings that are not UTF-8) throws
/// <see cref="MalformedBatchException"/>; its quirks are kept too (see <see cref="WireReader"/>). Tests hold it to
/// that against Google.Protobuf.
/// </remarks>
internal sealed class IngestBatch
{
    // Pooled batch objects: a stream holds two at a time (one processed, the next read), so this serves 8 streams.
    private const int PoolSize = 16;

    // Record objects a pooled batch keeps (about 100 bytes each; the worker's batches hold 2,048 records by default),
    // and the output scratch's capacity past which it lets go.
    private const int KeepRecords = 4096;
    private const int KeepOutputs = 64 * 1024;

    private static readonly ConcurrentQueue<IngestBatch> Pool = new();

    private readonly List<IngestRecord> _records = [];
    private readonly List<double> _outputs = [];
    private readonly PredictionLogBatch _schemaField = new();
    private byte[] _payload = [];
    private double[] _values = [];
    private bool _pooled;

    private IngestBatch()
    {
    }

    /// <summary>Field 1: the sender's sequence number, echoed in the ack.</summary>
    public ulong Sequence { get; private set; }

    /// <summary>Field 2: the schemas the records point at by index.</summary>
    public List<RecordSchema> Schemas { get; } = [];

    /// <summary>How many records (field 3) the batch holds.</summary>
    public int Count { get; private set; }

    internal byte[] Payload => _payload;

    internal double[] Values => _values;

    internal int ValueCount { get; private set; }

    /// <summary>Record objects the batch keeps for reuse.</summary>
    internal int RecordSlots => _records.Count;

    /// <summary>Record <paramref name="index"/> (below <see cref="Count"/>).</summary>
    public IngestRecord this[int index] =>
        (uint)index < (uint)Count ? _records[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Reads a batch message from a pooled batch; give it back with <see cref="Return"/> once done with.</summary>
    /// <param name="message">The message's bytes.</param>
    /// <param name="maxRecords">Records a batch may hold; past it the batch is refused before more records are read.</param>
    /// <exception cref="MalformedBatchException">The bytes are not a well-formed PredictionLogBatch, or hold too many records.</exception>
    public static IngestBatch Parse(ReadOnlySequence<byte> message, int maxRecords = int.MaxValue)
    {
        var batch = Pool.TryDequeue(out var pooled) ? pooled : new IngestBatch();
        batch._pooled = false;
        try
        {
            batch.Read(message, maxRecords);
            return batch;
        }
        catch
        {
            batch.Return();
            throw;
        }
    }

    /// <summary>Reads a batch message (see <see cref="Parse(ReadOnlySequence{byte}, int)"/>).</summary>
    public static IngestBatch Parse(ReadOnlySpan<byte> message, int maxRecords = int.MaxValue) =>
        Parse(new ReadOnlySequence<byte>(message.ToArray()), maxRecords);

    /// <summary>The batch and its records are done with: its arrays go back to their pools, the batch to its own (up to its size).</summary>
    public void Return()
    {
        if (_pooled)
        {
            return; // given back already
        }

        Count = 0;
        ValueCount = 0;
        Schemas.Clear();
        ReturnArrays();
        if (_records.Count > KeepRecords)
        {
            _records.RemoveRange(KeepRecords, _records.Count - KeepRecords);
        }

        if (_outputs.Capacity > KeepOutputs)
        {
            _outputs.Clear();
            _outputs.TrimExcess();
        }

        if (Pool.Count < PoolSize)
        {
            _pooled = true;
            Pool.Enqueue(this);
        }
    }

    internal void AddValue(double value)
    {
        if (ValueCount == _values.Length)
        {
            GrowValues(1);
        }

        _values[ValueCount++] = value;
    }

    // Packed doubles: 8 little-endian bytes each; a length that is not a multiple of 8 ends mid-value.
    internal void AddPacked((int Start, int Length) bytes)
    {
        if (bytes.Length % 8 != 0)
        {
            throw WireReader.Truncated();
        }

        var count = bytes.Length / 8;
        if (_values.Length - ValueCount < count)
        {
            GrowValues(count);
        }

        var source = _payload.AsSpan(bytes.Start, bytes.Length);
        var destination = _values.AsSpan(ValueCount, count);
        if (BitConverter.IsLittleEndian)
        {
            source.CopyTo(MemoryMarshal.AsBytes(destination));
        }
        else
        {
            var reader = new WireReader(_payload, bytes.Start, bytes.Start + bytes.Length);
            for (var i = 0; i < count; i++)
            {
                destination[i] = reader.ReadDouble();
            }
        }

        ValueCount += count;
    }

    private void Read(ReadOnlySequence<byte> message, int maxRecords)
    {
        Sequence = 0;
        Count = 0;
        ValueCount = 0;
        Schemas.Clear();
        var length = checked((int)message.Length);
        ReturnArrays();

        // Every value takes at least 8 bytes of the message, so the values fit in length / 8.
        _payload = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        _values = ArrayPool<double>.Shared.Rent(Math.Max(16, length / 8));
        message.CopyTo(_payload);
        var reader = new WireReader(_payload, 0, length);
        var refused = 0;
        for (var fieldStart = 0; reader.TryReadTag(out var field, out var wireType); fieldStart = reader.Position)
        {
            switch ((field, wireType))
            {
                case (1, WireReader.Varint):
                    Sequence = reader.ReadVarint();
                    break;
                case (2, WireReader.Delimited):
                    reader.ReadDelimited();
                    Schemas.Add(ParseSchema(fieldStart, reader.Position));
                    break;
                case (3, WireReader.Delimited):
                    var (start, size) = reader.ReadDelimited();
                    if (Count < maxRecords)
                    {
                        NextRecord().Read(start, start + size, _outputs);
                    }
                    else
                    {
                        refused++; // counted for the message, not read: a batch of millions of empty records costs no memory
                    }

                    break;
                default:
                    reader.Skip(field, wireType);
                    break;
            }
        }

        if (refused > 0)
        {
            throw new MalformedBatchException(string.Create(
                CultureInfo.InvariantCulture, $"batch {Sequence}: holds {(long)Count + refused} records; at most {maxRecords} are accepted"));
        }
    }

    // Never needed while every value takes 8 bytes of the message (see Read); kept so a miscount can't overrun.
    private void GrowValues(int more)
    {
        var grown = ArrayPool<double>.Shared.Rent(Math.Max(ValueCount + more, _values.Length * 2));
        _values.AsSpan(0, ValueCount).CopyTo(grown);
        if (_values.Length > 0)
        {
            ArrayPool<double>.Shared.Return(_values);
        }

        _values = grown;
    }

    private void ReturnArrays()
    {
        if (_payload.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_payload);
            _payload = [];
        }

        if (_values.Length > 0)
        {
            ArrayPool<double>.Shared.Return(_values);
            _values = [];
        }
    }

    private IngestRecord NextRecord()
    {
        if (Count == _records.Count)
        {
            _records.Add(new IngestRecord(this));
        }

        return _records[Count++];
    }

    // The schema field whole (tag, length, schema), read by Google.Protobuf as a batch holding that one schema: so the
    // schema is one level down, as in the batch, and what nests in it meets the recursion limit where it does there (read
    // on its own, a schema took one level more of nested groups than the batch it came in).
    private RecordSchema ParseSchema(int start, int end)
    {
        try
        {
            _schemaField.MergeFrom(_payload.AsSpan(start, end - start));
            return _schemaField.Schemas[0];
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new MalformedBatchException($"a message on the stream is not a PredictionLogBatch ({e.Message})");
        }
        finally
        {
            _schemaField.Schemas.Clear();
        }
    }
}
