using System.Buffers.Binary;
using System.Text;
using Serving.Protocol.Tensors;

namespace Serving.Worker.PredictionLogs;

/// <summary>Writes a slice of a numeric tensor as little-endian doubles (a packed repeated double's bytes), whatever its element type.</summary>
internal static class TensorValues
{
    public static bool IsNumeric(DataType type) => type is not (DataType.Bytes or DataType.Unknown);

    /// <summary>True for the float types whose every value, widened to double, is an exact float32.</summary>
    public static bool IsSinglePrecision(DataType type) => type is DataType.FP32 or DataType.FP16 or DataType.BF16;

    /// <summary>Writes values <paramref name="start"/>..+<paramref name="count"/> as doubles; returns the bytes written (8 per value).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The tensor holds fewer values than the slice needs.</exception>
    public static int Write(InferTensor tensor, long start, long count, Span<byte> destination)
    {
        int from = checked((int)start);
        int length = checked((int)count);
        switch (tensor.DataType)
        {
            case DataType.FP32: WriteAll(tensor.As<float>().Slice(from, length), destination); break;
            case DataType.FP64: WriteAll(tensor.As<double>().Slice(from, length), destination); break;
            case DataType.FP16: WriteAll(tensor.As<Half>().Slice(from, length), destination); break;
            case DataType.BF16: WriteBFloat16(tensor.As<ushort>().Slice(from, length), destination); break;
            case DataType.Int8: WriteAll(tensor.As<sbyte>().Slice(from, length), destination); break;
            case DataType.Int16: WriteAll(tensor.As<short>().Slice(from, length), destination); break;
            case DataType.Int32: WriteAll(tensor.As<int>().Slice(from, length), destination); break;
            case DataType.Int64: WriteAll(tensor.As<long>().Slice(from, length), destination); break;
            case DataType.UInt8: WriteAll(tensor.As<byte>().Slice(from, length), destination); break;
            case DataType.UInt16: WriteAll(tensor.As<ushort>().Slice(from, length), destination); break;
            case DataType.UInt32: WriteAll(tensor.As<uint>().Slice(from, length), destination); break;
            case DataType.UInt64: WriteAll(tensor.As<ulong>().Slice(from, length), destination); break;
            case DataType.Bool: WriteBool(tensor.As<byte>().Slice(from, length), destination); break;
            default: throw new ArgumentException($"{tensor.DataType} is not a numeric datatype.", nameof(tensor));
        }

        return length * sizeof(double);
    }

    /// <summary>
    /// A BYTES element as a protobuf string's bytes: the element itself when it is valid UTF-8, else its text with
    /// invalid sequences replaced (as <see cref="Encoding.UTF8"/> decodes it), which allocates.
    /// </summary>
    public static ReadOnlySpan<byte> Utf8(InferTensor tensor, long index)
    {
        var element = tensor.Elements![checked((int)index)].Span;
        return System.Text.Unicode.Utf8.IsValid(element) ? element : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(element));
    }

    private static void WriteAll<T>(ReadOnlySpan<T> values, Span<byte> destination)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        destination = destination[..(values.Length * sizeof(double))];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(i * sizeof(double))..], double.CreateTruncating(values[i]));
        }
    }

    private static void WriteBFloat16(ReadOnlySpan<ushort> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(i * sizeof(double))..], BitConverter.Int32BitsToSingle(values[i] << 16));
        }
    }

    private static void WriteBool(ReadOnlySpan<byte> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination[(i * sizeof(double))..], values[i] != 0 ? 1 : 0);
        }
    }
}
