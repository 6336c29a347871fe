using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Serving.Protocol.Wire;

/// <summary>
/// The few pieces of the protobuf wire format written by hand on hot paths (varints, length-delimited fields,
/// little-endian doubles): prediction-log records and gRPC infer responses go from tensors to wire bytes without
/// message objects. Each writer returns the position after what it wrote. And the varint reader of the messages read
/// without decoding them (the gateway's leading fields, the worker's decoded-size walk).
/// </summary>
public static class ProtoWire
{
    /// <summary>Most bytes a varint takes (a 64-bit value).</summary>
    public const int MaxVarintBytes = 10;

    /// <summary>The tag of field <paramref name="number"/> with a length-delimited value (strings, packed repeated, messages).</summary>
    public static byte LengthDelimitedTag(int number) => (byte)((number << 3) | 2);

    /// <summary>The tag of field <paramref name="number"/> with a varint value.</summary>
    public static byte VarintTag(int number) => (byte)(number << 3);

    /// <summary>The tag of field <paramref name="number"/> with a 64-bit fixed value (double).</summary>
    public static byte Fixed64Tag(int number) => (byte)((number << 3) | 1);

    /// <summary>The bytes <paramref name="value"/> takes as a varint (a negative int64 is cast to ulong first: 10 bytes).</summary>
    public static int VarintSize(ulong value) => (BitOperations.Log2(value | 1) / 7) + 1;

    /// <summary>A length-delimited field's size after its tag: the length's varint and the bytes.</summary>
    public static int DelimitedSize(int length) => VarintSize((uint)length) + length;

    /// <summary>A string field's size with its one-byte tag; 0 for an empty string (proto3 leaves it out).</summary>
    public static int StringFieldSize(string? value) =>
        string.IsNullOrEmpty(value) ? 0 : 1 + DelimitedSize(Encoding.UTF8.GetByteCount(value));

    /// <summary>Writes <paramref name="value"/> as a varint at <paramref name="at"/>.</summary>
    public static int WriteVarint(Span<byte> destination, int at, ulong value)
    {
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[at++] = (byte)value;
        return at;
    }

    /// <summary>Writes a tag and the length that follows it; returns where the value starts.</summary>
    public static int WriteDelimitedHeader(Span<byte> destination, int at, byte tag, int length)
    {
        destination[at++] = tag;
        return WriteVarint(destination, at, (uint)length);
    }

    /// <summary>Writes a string field (tag, length, UTF-8); nothing for an empty string.</summary>
    public static int WriteString(Span<byte> destination, int at, byte tag, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return at;
        }

        at = WriteDelimitedHeader(destination, at, tag, Encoding.UTF8.GetByteCount(value));
        return at + Encoding.UTF8.GetBytes(value, destination[at..]);
    }

    /// <summary>Writes a length-delimited field holding <paramref name="value"/> as it is.</summary>
    public static int WriteBytes(Span<byte> destination, int at, byte tag, ReadOnlySpan<byte> value)
    {
        at = WriteDelimitedHeader(destination, at, tag, value.Length);
        value.CopyTo(destination[at..]);
        return at + value.Length;
    }

    /// <summary>Writes a double's 8 little-endian bytes (a fixed64 value).</summary>
    public static int WriteDouble(Span<byte> destination, int at, double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(destination[at..], value);
        return at + sizeof(double);
    }

    /// <summary>
    /// Reads a varint; false when the bytes end before it does (<paramref name="malformed"/> false) or it is not one
    /// (<paramref name="malformed"/> true: longer than 10 bytes, or past 64 bits).
    /// </summary>
    public static bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value, out bool malformed)
    {
        value = 0;
        malformed = false;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                return false;
            }

            if (shift == 63 && b > 1)
            {
                malformed = true;
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        malformed = true;
        return false;
    }

}
