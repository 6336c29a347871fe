using System.Buffers.Binary;
using Serving.Protocol.Errors;

namespace Serving.Protocol.Tensors;

/// <summary>
/// The raw form (gRPC <c>raw_input_contents</c> and Triton's binary REST extension): fixed-size
/// elements row-major little-endian, BYTES as a 4-byte little-endian length and the bytes.
/// </summary>
public static class RawContentsCodec
{
    /// <summary>Wraps raw bytes as a tensor without copying; checks the byte length against the shape.</summary>
    public static InferTensor Decode(string name, DataType type, long[] shape, long count, ReadOnlyMemory<byte> raw)
    {
        if (type == DataType.Bytes)
        {
            return InferTensor.Strings(name, shape, SplitBytes(name, count, raw));
        }

        var expected = count * type.ElementSize();
        if (raw.Length != expected)
        {
            throw InferenceException.Invalid(
                $"input '{name}': raw content is {raw.Length} bytes but {type.ToWire()} with shape {Shapes.Format(shape)} needs {expected}");
        }

        return InferTensor.Fixed(name, type, shape, raw);
    }

    /// <summary>Splits length-prefixed BYTES elements; rejects truncated or surplus bytes.</summary>
    public static ReadOnlyMemory<byte>[] SplitBytes(string name, long count, ReadOnlyMemory<byte> raw)
    {
        if (count > raw.Length / 4)
        {
            throw InferenceException.Invalid($"input '{name}': raw BYTES content of {raw.Length} bytes cannot hold {count} elements (each needs a 4-byte length)");
        }

        var elements = new ReadOnlyMemory<byte>[count];
        var offset = 0;
        var span = raw.Span;
        for (var i = 0; i < count; i++)
        {
            if (span.Length - offset < 4)
            {
                throw InferenceException.Invalid($"input '{name}': raw BYTES content ends before element {i} of {count}");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(span[offset..]);
            offset += 4;
            if (length < 0 || length > span.Length - offset)
            {
                throw InferenceException.Invalid($"input '{name}': raw BYTES element {i} claims {length} bytes, more than remain");
            }

            elements[i] = raw.Slice(offset, length);
            offset += length;
        }

        if (offset != span.Length)
        {
            throw InferenceException.Invalid($"input '{name}': raw BYTES content has {span.Length - offset} bytes past its {count} elements");
        }

        return elements;
    }

    /// <summary>The number of bytes <see cref="Write"/> produces for <paramref name="tensor"/>.</summary>
    public static int EncodedLength(InferTensor tensor)
    {
        if (tensor.DataType != DataType.Bytes)
        {
            return tensor.Data.Length;
        }

        var total = 0;
        foreach (var e in tensor.Elements!)
        {
            total = checked(total + 4 + e.Length);
        }

        return total;
    }

    /// <summary>Writes the raw form of <paramref name="tensor"/> into <paramref name="dest"/> (sized by <see cref="EncodedLength"/>).</summary>
    public static void Write(InferTensor tensor, Span<byte> dest)
    {
        if (tensor.DataType != DataType.Bytes)
        {
            tensor.Data.Span.CopyTo(dest);
            return;
        }

        var offset = 0;
        foreach (var e in tensor.Elements!)
        {
            BinaryPrimitives.WriteInt32LittleEndian(dest[offset..], e.Length);
            offset += 4;
            e.Span.CopyTo(dest[offset..]);
            offset += e.Length;
        }
    }

    /// <summary>The raw form as a new array.</summary>
    public static byte[] ToArray(InferTensor tensor)
    {
        var bytes = new byte[EncodedLength(tensor)];
        Write(tensor, bytes);
        return bytes;
    }
}
