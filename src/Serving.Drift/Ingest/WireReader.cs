using System.Buffers.Binary;
using System.Text.Unicode;

namespace Serving.Drift.Ingest;

/// <summary>
/// Reads protobuf's wire format from one message held whole in a buffer: tags, varints, fixed-size values and the
/// offsets of length-delimited fields (absolute in the buffer, so a caller can keep them). Every read is
/// bounds-checked; input that is not well-formed protobuf throws <see cref="MalformedBatchException"/>, where
/// Google.Protobuf would throw <c>InvalidProtocolBufferException</c>.
/// </summary>
internal ref struct WireReader
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int Delimited = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;

    // Google.Protobuf's default recursion limit: how deep messages and groups may nest, counted together.
    private const int RecursionLimit = 100;

    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _end;
    private readonly int _depth;
    private int _position;

    /// <summary>
    /// A reader of <paramref name="buffer"/>[<paramref name="start"/>..<paramref name="end"/>): a message nested
    /// <paramref name="depth"/> levels deep in the batch (0: the batch, 1: a record, 2: a record's categorical entry), which
    /// counts against the recursion limit as it does in Google.Protobuf, so groups in it may nest that much less deep.
    /// </summary>
    public WireReader(ReadOnlySpan<byte> buffer, int start, int end, int depth = 0)
    {
        _buffer = buffer;
        _position = start;
        _end = end;
        _depth = depth;
    }

    /// <summary>Where the next read starts in the buffer.</summary>
    public readonly int Position => _position;

    /// <summary>The next field's number and wire type; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        if (_position >= _end)
        {
            field = wireType = 0;
            return false;
        }

        // As Google.Protobuf: a tag is the varint's low 32 bits.
        var tag = (uint)ReadVarint();
        if ((tag >> 3) == 0)
        {
            throw Malformed("a field with an invalid tag (field number 0)");
        }

        field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return true;
    }

    /// <summary>A varint of up to 10 bytes (bits past 64 are dropped, as Google.Protobuf does).</summary>
    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _end)
            {
                throw Truncated();
            }

            var b = _buffer[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Malformed("a varint longer than 10 bytes");
    }

    /// <summary>A little-endian double (wire type 1).</summary>
    public double ReadDouble()
    {
        if (_end - _position < 8)
        {
            throw Truncated();
        }

        var value = BinaryPrimitives.ReadDoubleLittleEndian(_buffer.Slice(_position, 8));
        _position += 8;
        return value;
    }

    /// <summary>A length-delimited field's bytes: where they start in the buffer and how many there are.</summary>
    public (int Start, int Length) ReadDelimited()
    {
        // As Google.Protobuf: a length is the varint's low 32 bits, as an int.
        var length = (int)(uint)ReadVarint();
        return length >= 0 ? Take(length) : throw Malformed("a length-delimited field with a negative length");
    }

    /// <summary>
    /// A packed repeated field's bytes (see <see cref="ReadDelimited"/>). A negative length reads as no values, as
    /// Google.Protobuf reads it there.
    /// </summary>
    public (int Start, int Length) ReadPacked()
    {
        var length = (int)(uint)ReadVarint();
        return length > 0 ? Take(length) : (_position, 0);
    }

    /// <summary>A string field's bytes (see <see cref="ReadDelimited"/>), which must be UTF-8, as Google.Protobuf requires.</summary>
    public (int Start, int Length) ReadText()
    {
        var text = ReadDelimited();
        if (!Utf8.IsValid(_buffer.Slice(text.Start, text.Length)))
        {
            throw Malformed("a string that is not UTF-8");
        }

        return text;
    }

    /// <summary>
    /// Skips a field a message does not know (or a known one sent with another wire type), as Google.Protobuf keeps
    /// it among a message's unknown fields: wire types 6 and 7 are refused.
    /// </summary>
    public void Skip(int field, int wireType) => Skip(field, wireType, _depth, lenient: false);

    /// <summary>
    /// Skips a field of a map entry as Google.Protobuf does there (<c>SkipLastField</c>): it reads nothing for wire
    /// types 6 and 7, and goes on with the next byte.
    /// </summary>
    public void SkipInMapEntry(int field, int wireType) => Skip(field, wireType, _depth, lenient: true);

    private void Skip(int field, int wireType, int depth, bool lenient)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                Advance(8);
                break;
            case Delimited:
                ReadDelimited();
                break;
            case Fixed32:
                Advance(4);
                break;
            case StartGroup:
                SkipGroup(field, depth, lenient);
                break;
            case EndGroup:
                throw Malformed("an end-group tag without its start");
            default:
                if (!lenient)
                {
                    throw Malformed($"a field with wire type {wireType}, which protobuf does not define");
                }

                break;
        }
    }

    // A group is the fields up to the end-group tag of the same number, one level deeper than `depth` (the messages and
    // groups around it). As Google.Protobuf: among a message's fields it checks the limit before it goes into the group,
    // in a map entry (SkipLastField) after, which allows one level less.
    private void SkipGroup(int field, int depth, bool lenient)
    {
        if (depth + (lenient ? 1 : 0) >= RecursionLimit)
        {
            throw Malformed($"groups nested past protobuf's recursion limit of {RecursionLimit} levels, which counts the messages around them too");
        }

        while (TryReadTag(out var inner, out var wireType))
        {
            if (wireType == EndGroup)
            {
                if (inner != field)
                {
                    throw Malformed("an end-group tag that does not match its start");
                }

                return;
            }

            Skip(inner, wireType, depth + 1, lenient);
        }

        throw Truncated();
    }

    // The next `length` bytes (a non-negative count), which must all be in the message.
    private (int Start, int Length) Take(int length)
    {
        if (_end - _position < length)
        {
            throw Truncated();
        }

        var start = _position;
        _position += length;
        return (start, length);
    }

    private void Advance(int count)
    {
        if (_end - _position < count)
        {
            throw Truncated();
        }

        _position += count;
    }

    /// <summary>What a field cut short by the end of its message throws.</summary>
    internal static MalformedBatchException Truncated() => Malformed("the message ends in the middle of a field");

    private static MalformedBatchException Malformed(string problem) => new($"a message on the stream is not a PredictionLogBatch ({problem})");
}
