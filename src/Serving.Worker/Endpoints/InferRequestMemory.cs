using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;
using Serving.Protocol.Wire;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Estimates the memory a ModelInferRequest message takes once decoded, from its wire bytes, before protobuf decodes it.
/// Most messages take a few times their bytes, which <see cref="RequestMemoryEstimate.BinaryFactor"/> covers. A message
/// of many tiny items takes far more: protobuf makes an object per <c>bytes_contents</c> element, input or requested
/// output, and a packed varint of one byte becomes 8 in a list that grows by doubling (two 30 MB messages of 10 million
/// one-byte <c>bytes_contents</c> elements took a worker from 876 MB to 2.3 GB resident). The walk reads tags and
/// lengths only (no allocation); a message it can't read ends the walk with what it counted, and the decode says why.
/// </summary>
internal static class InferRequestMemory
{
    /// <summary>Messages smaller than this are not walked: even at the worst amplification they take a few MB.</summary>
    public const int WalkFrom = 64 * 1024;

    // Per decoded item: an object with its fields and a list slot (inputs, outputs, contents, parameters); a ByteString
    // with its array and the tensor's element slot; a string's header (its UTF-16 chars are counted apart); a list
    // element of a packed varint (8 bytes, doubled by growth, and the tensor's copy); an unknown field kept whole.
    private const long MessageCost = 160;
    private const long BytesCost = 64;
    private const long StringCost = 32;
    private const long VarintCost = 24;
    private const long UnknownCost = 64;

    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    /// <summary>The estimated bytes the message takes decoded (its own bytes not included).</summary>
    public static long Estimate(in ReadOnlySequence<byte> message)
    {
        var reader = new SequenceReader<byte>(message);
        long cost = 0;
        Fields(ref reader, message.Length, ref cost, Request);
        return cost;
    }

    private delegate bool Field(ref SequenceReader<byte> reader, long field, int wire, ref long cost);

    // The fields up to end, each costed by the message's own field function; false when they can't be read.
    private static bool Fields(ref SequenceReader<byte> reader, long end, ref long cost, Field field)
    {
        while (reader.Consumed < end)
        {
            if (!Tag(ref reader, out var number, out var wire) || !field(ref reader, number, wire, ref cost))
            {
                return false;
            }
        }

        return true;
    }

    // ModelInferRequest: model_name = 1, model_version = 2, id = 3, parameters = 4, inputs = 5, outputs = 6, raw_input_contents = 7.
    private static bool Request(ref SequenceReader<byte> reader, long field, int wire, ref long cost) => (field, wire) switch
    {
        (1 or 2 or 3, LengthDelimited) => Text(ref reader, ref cost),
        (4 or 6, LengthDelimited) => Opaque(ref reader, ref cost),
        (5, LengthDelimited) => Nested(ref reader, ref cost, Input),
        (7, LengthDelimited) => Bytes(ref reader, ref cost),
        _ => Unknown(ref reader, wire, ref cost),
    };

    // InferInputTensor: name = 1, datatype = 2, shape = 3, parameters = 4, contents = 5.
    private static bool Input(ref SequenceReader<byte> reader, long field, int wire, ref long cost) => (field, wire) switch
    {
        (1 or 2, LengthDelimited) => Text(ref reader, ref cost),
        (3, LengthDelimited) => PackedVarints(ref reader, ref cost),
        (3, Varint) => OneVarint(ref reader, ref cost),
        (4, LengthDelimited) => Opaque(ref reader, ref cost),
        (5, LengthDelimited) => Nested(ref reader, ref cost, Contents),
        _ => Unknown(ref reader, wire, ref cost),
    };

    // InferTensorContents: bool 1, int32 2, int64 3, uint32 4, uint64 5 (varints), fp32 6 (fixed32), fp64 7 (fixed64), bytes 8.
    private static bool Contents(ref SequenceReader<byte> reader, long field, int wire, ref long cost) => (field, wire) switch
    {
        (>= 1 and <= 5, LengthDelimited) => PackedVarints(ref reader, ref cost),
        (>= 1 and <= 5, Varint) => OneVarint(ref reader, ref cost),
        (6 or 7, LengthDelimited) => PackedFixed(ref reader, ref cost),
        (6, Fixed32) => Skip(ref reader, 4, VarintCost, ref cost),
        (7, Fixed64) => Skip(ref reader, 8, VarintCost, ref cost),
        (8, LengthDelimited) => Bytes(ref reader, ref cost),
        _ => Unknown(ref reader, wire, ref cost),
    };

    private static bool Nested(ref SequenceReader<byte> reader, ref long cost, Field field)
    {
        if (!Length(ref reader, out var length))
        {
            return false;
        }

        cost += MessageCost;
        var end = reader.Consumed + length;
        return Fields(ref reader, end, ref cost, field) && reader.Consumed == end;
    }

    private static bool Text(ref SequenceReader<byte> reader, ref long cost) =>
        Length(ref reader, out var length) && Skip(ref reader, length, StringCost + (2 * length), ref cost);

    private static bool Bytes(ref SequenceReader<byte> reader, ref long cost) =>
        Length(ref reader, out var length) && Skip(ref reader, length, BytesCost + length, ref cost);

    // A small message walked no further (parameters, a requested output): an object and twice its bytes.
    private static bool Opaque(ref SequenceReader<byte> reader, ref long cost) =>
        Length(ref reader, out var length) && Skip(ref reader, length, MessageCost + (2 * length), ref cost);

    private static bool PackedFixed(ref SequenceReader<byte> reader, ref long cost) =>
        Length(ref reader, out var length) && Skip(ref reader, length, length, ref cost);

    private static bool OneVarint(ref SequenceReader<byte> reader, ref long cost)
    {
        cost += VarintCost;
        return Read(ref reader, out _);
    }

    // Each varint ends at a byte below 0x80: counted a segment at a time, 16 bytes per step where the CPU can.
    private static bool PackedVarints(ref SequenceReader<byte> reader, ref long cost)
    {
        if (!Length(ref reader, out var length) || reader.Remaining < length)
        {
            return false;
        }

        long values = 0;
        var left = length;
        while (left > 0)
        {
            var span = reader.UnreadSpan;
            var part = span[..(int)Math.Min(span.Length, left)];
            values += Terminators(part);
            reader.Advance(part.Length);
            left -= part.Length;
        }

        cost += values * VarintCost;
        return true;
    }

    private static long Terminators(ReadOnlySpan<byte> bytes)
    {
        long count = 0;
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + Vector128<byte>.Count <= bytes.Length; i += Vector128<byte>.Count)
            {
                count += Vector128<byte>.Count - BitOperations.PopCount(Vector128.Create(bytes.Slice(i, Vector128<byte>.Count)).ExtractMostSignificantBits());
            }
        }

        for (; i < bytes.Length; i++)
        {
            if (bytes[i] < 0x80)
            {
                count++;
            }
        }

        return count;
    }

    private static bool Unknown(ref SequenceReader<byte> reader, int wire, ref long cost) => wire switch
    {
        Varint => Read(ref reader, out _) && Skip(ref reader, 0, UnknownCost, ref cost),
        Fixed64 => Skip(ref reader, 8, UnknownCost, ref cost),
        Fixed32 => Skip(ref reader, 4, UnknownCost, ref cost),
        LengthDelimited => Length(ref reader, out var length) && Skip(ref reader, length, UnknownCost + length, ref cost),
        _ => false, // groups (deprecated) or not protobuf: the decode says what is wrong
    };

    private static bool Skip(ref SequenceReader<byte> reader, long length, long itemCost, ref long cost)
    {
        if (reader.Remaining < length)
        {
            return false;
        }

        reader.Advance(length);
        cost += itemCost;
        return true;
    }

    private static bool Tag(ref SequenceReader<byte> reader, out long field, out int wire)
    {
        if (!Read(ref reader, out var tag))
        {
            (field, wire) = (0, 0);
            return false;
        }

        (field, wire) = ((long)(tag >> 3), (int)(tag & 7));
        return field > 0;
    }

    private static bool Length(ref SequenceReader<byte> reader, out long length)
    {
        var ok = Read(ref reader, out var value);
        length = (long)Math.Min(value, long.MaxValue);
        return ok && length <= reader.Remaining;
    }

    private static bool Read(ref SequenceReader<byte> reader, out ulong value) => ProtoWire.TryReadVarint(ref reader, out value, out _);
}
