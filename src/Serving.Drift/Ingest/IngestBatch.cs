using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// A received <see cref="PredictionLogBatch"/>, read without a message object per record: the message's bytes are
/// copied once into a buffer the batch keeps, records point into it, and their values go into one array. Batches
/// are pooled, so a steady stream allocates nothing per record and nothing lives long enough to reach an older
/// generation of the GC (a batch of message objects lived through the archive's fsync, and its thousands of objects
/// were promoted). The schemas, a few per batch, are parsed by Google.Protobuf.
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
    // Pooled batches; one stream holds two at a time (one processed, the next read).
    private const int PoolSize = 4;

    // A batch that grew past these for an unusually large message lets the arrays go when it is returned, so the pool
    // holds at most about 40 MiB (the worker's batches are at most 4 MiB by default).
    private const int KeepPayloadBytes = 4 * 1024 * 1024;
    private const int KeepValues = 512 * 1024;
    private const int KeepRecords = 16 * 1024;

    private static readonly ConcurrentQueue<IngestBatch> Pool = new();

    private readonly List<IngestRecord> _records = [];
    private readonly List<double> _outputs = [];
    private byte[] _payload = [];
    private double[] _values = [];

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

    /// <summary>The batch and its records are done with: back to the pool (up to its size).</summary>
    public void Return()
    {
        Count = 0;
        ValueCount = 0;
        Schemas.Clear();
        if (_payload.Length > KeepPayloadBytes)
        {
            _payload = [];
        }

        if (_values.Length > KeepValues)
        {
            _values = [];
        }

        if (_records.Count > KeepRecords)
        {
            _records.RemoveRange(KeepRecords, _records.Count - KeepRecords);
        }

        if (_outputs.Capacity > KeepValues)
        {
            _outputs.Clear();
            _outputs.TrimExcess();
        }

        if (Pool.Count < PoolSize)
        {
            Pool.Enqueue(this);
        }
    }

    internal void AddValue(double value)
    {
        if (ValueCount == _values.Length)
        {
            Array.Resize(ref _values, Math.Max(1024, _values.Length * 2));
        }

        _values[ValueCount++] = value;
    }

    // Packed doubles: 8 little-endian bytes each; a length that is not a multiple of 8 ends mid-value.
    internal void AddPacked((int Start, int Length) bytes)
    {
        if (bytes.Length % 8 != 0)
        {
            throw new MalformedBatchException("a message on the stream is not a PredictionLogBatch (the message ends in the middle of a field)");
        }

        var count = bytes.Length / 8;
        if (_values.Length - ValueCount < count)
        {
            Array.Resize(ref _values, Math.Max(ValueCount + count, Math.Max(1024, _values.Length * 2)));
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
        if (_payload.Length < length)
        {
            _payload = new byte[Math.Max(length, Math.Min(KeepPayloadBytes, _payload.Length * 2))];
        }

        message.CopyTo(_payload);
        var reader = new WireReader(_payload, 0, length);
        var refused = 0;
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch ((field, wireType))
            {
                case (1, WireReader.Varint):
                    Sequence = reader.ReadVarint();
                    break;
                case (2, WireReader.Delimited):
                    Schemas.Add(ParseSchema(reader.ReadDelimited()));
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

    private IngestRecord NextRecord()
    {
        if (Count == _records.Count)
        {
            _records.Add(new IngestRecord(this));
        }

        return _records[Count++];
    }

    private RecordSchema ParseSchema((int Start, int Length) bytes)
    {
        try
        {
            return RecordSchema.Parser.ParseFrom(_payload.AsSpan(bytes.Start, bytes.Length));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new MalformedBatchException($"a message on the stream is not a PredictionLogBatch ({e.Message})");
        }
    }
}
