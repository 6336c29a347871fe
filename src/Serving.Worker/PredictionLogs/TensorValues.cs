using System.Text;
using Google.Protobuf.Collections;
using Serving.Protocol.Tensors;

namespace Serving.Worker.PredictionLogs;

/// <summary>Copies a slice of a numeric tensor into a record as doubles, whatever its element type.</summary>
internal static class TensorValues
{
    public static bool IsNumeric(DataType type) => type is not (DataType.Bytes or DataType.Unknown);

    /// <summary>True for the float types whose every value, widened to double, is an exact float32.</summary>
    public static bool IsSinglePrecision(DataType type) => type is DataType.FP32 or DataType.FP16 or DataType.BF16;

    public static void Append(InferTensor tensor, long start, long count, RepeatedField<double> destination)
    {
        int from = checked((int)start);
        int length = checked((int)count);
        switch (tensor.DataType)
        {
            case DataType.FP32: AppendAll(tensor.As<float>().Slice(from, length), destination); break;
            case DataType.FP64: AppendAll(tensor.As<double>().Slice(from, length), destination); break;
            case DataType.FP16: AppendAll(tensor.As<Half>().Slice(from, length), destination); break;
            case DataType.BF16: AppendBFloat16(tensor.As<ushort>().Slice(from, length), destination); break;
            case DataType.Int8: AppendAll(tensor.As<sbyte>().Slice(from, length), destination); break;
            case DataType.Int16: AppendAll(tensor.As<short>().Slice(from, length), destination); break;
            case DataType.Int32: AppendAll(tensor.As<int>().Slice(from, length), destination); break;
            case DataType.Int64: AppendAll(tensor.As<long>().Slice(from, length), destination); break;
            case DataType.UInt8: AppendAll(tensor.As<byte>().Slice(from, length), destination); break;
            case DataType.UInt16: AppendAll(tensor.As<ushort>().Slice(from, length), destination); break;
            case DataType.UInt32: AppendAll(tensor.As<uint>().Slice(from, length), destination); break;
            case DataType.UInt64: AppendAll(tensor.As<ulong>().Slice(from, length), destination); break;
            case DataType.Bool: AppendBool(tensor.As<byte>().Slice(from, length), destination); break;
            default: throw new ArgumentException($"{tensor.DataType} is not a numeric datatype.", nameof(tensor));
        }
    }

    /// <summary>A BYTES element as text (UTF-8, invalid sequences replaced).</summary>
    public static string Text(InferTensor tensor, long index) => Encoding.UTF8.GetString(tensor.Elements![checked((int)index)].Span);

    private static void AppendAll<T>(ReadOnlySpan<T> values, RepeatedField<double> destination)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        foreach (T value in values)
        {
            destination.Add(double.CreateTruncating(value));
        }
    }

    private static void AppendBFloat16(ReadOnlySpan<ushort> values, RepeatedField<double> destination)
    {
        foreach (ushort bits in values)
        {
            destination.Add(BitConverter.Int32BitsToSingle(bits << 16));
        }
    }

    private static void AppendBool(ReadOnlySpan<byte> values, RepeatedField<double> destination)
    {
        foreach (byte value in values)
        {
            destination.Add(value != 0 ? 1 : 0);
        }
    }
}
