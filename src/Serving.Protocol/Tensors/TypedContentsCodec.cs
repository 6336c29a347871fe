using System.Buffers;
using System.Runtime.InteropServices;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;

namespace Serving.Protocol.Tensors;

/// <summary>Converts gRPC <see cref="InferTensorContents"/> (the typed form) to and from <see cref="InferTensor"/>.</summary>
public static class TypedContentsCodec
{
    /// <summary>Decodes the typed contents of one input whose element count is already checked.</summary>
    public static InferTensor Decode(string name, DataType type, long[] shape, long count, InferTensorContents? contents)
    {
        contents ??= new InferTensorContents();
        if (type == DataType.Bytes)
        {
            CheckCount(name, contents.BytesContents.Count, count, shape);
            var elements = new ReadOnlyMemory<byte>[count];
            for (var i = 0; i < elements.Length; i++)
            {
                elements[i] = contents.BytesContents[i].Memory;
            }

            return InferTensor.Strings(name, shape, elements);
        }

        if (type is DataType.FP16 or DataType.BF16)
        {
            throw InferenceException.Invalid($"input '{name}': {type.ToWire()} travels only as raw bytes (raw_input_contents), not in contents");
        }

        CheckCount(name, FieldCount(type, contents), count, shape);
        var size = type.ElementSize();
        var length = checked((int)(count * size));
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            Fill(name, type, shape, count, contents, rented.AsSpan(0, length));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }

        return InferTensor.Fixed(name, type, shape, rented.AsMemory(0, length), rented);
    }

    private static void Fill(string name, DataType type, long[] shape, long count, InferTensorContents c, Span<byte> dest)
    {
        switch (type)
        {
            case DataType.Bool:
                CheckCount(name, c.BoolContents.Count, count, shape);
                for (var i = 0; i < dest.Length; i++)
                {
                    dest[i] = c.BoolContents[i] ? (byte)1 : (byte)0;
                }

                break;
            case DataType.Int8:
                CheckCount(name, c.IntContents.Count, count, shape);
                for (var i = 0; i < dest.Length; i++)
                {
                    dest[i] = unchecked((byte)checked((sbyte)InRange(name, c.IntContents[i], sbyte.MinValue, sbyte.MaxValue)));
                }

                break;
            case DataType.Int16:
                CheckCount(name, c.IntContents.Count, count, shape);
                var i16 = MemoryMarshal.Cast<byte, short>(dest);
                for (var i = 0; i < i16.Length; i++)
                {
                    i16[i] = (short)InRange(name, c.IntContents[i], short.MinValue, short.MaxValue);
                }

                break;
            case DataType.Int32:
                CheckCount(name, c.IntContents.Count, count, shape);
                var i32 = MemoryMarshal.Cast<byte, int>(dest);
                for (var i = 0; i < i32.Length; i++)
                {
                    i32[i] = c.IntContents[i];
                }

                break;
            case DataType.Int64:
                CheckCount(name, c.Int64Contents.Count, count, shape);
                var i64 = MemoryMarshal.Cast<byte, long>(dest);
                for (var i = 0; i < i64.Length; i++)
                {
                    i64[i] = c.Int64Contents[i];
                }

                break;
            case DataType.UInt8:
                CheckCount(name, c.UintContents.Count, count, shape);
                for (var i = 0; i < dest.Length; i++)
                {
                    dest[i] = (byte)InRangeU(name, c.UintContents[i], byte.MaxValue);
                }

                break;
            case DataType.UInt16:
                CheckCount(name, c.UintContents.Count, count, shape);
                var u16 = MemoryMarshal.Cast<byte, ushort>(dest);
                for (var i = 0; i < u16.Length; i++)
                {
                    u16[i] = (ushort)InRangeU(name, c.UintContents[i], ushort.MaxValue);
                }

                break;
            case DataType.UInt32:
                CheckCount(name, c.UintContents.Count, count, shape);
                var u32 = MemoryMarshal.Cast<byte, uint>(dest);
                for (var i = 0; i < u32.Length; i++)
                {
                    u32[i] = c.UintContents[i];
                }

                break;
            case DataType.UInt64:
                CheckCount(name, c.Uint64Contents.Count, count, shape);
                var u64 = MemoryMarshal.Cast<byte, ulong>(dest);
                for (var i = 0; i < u64.Length; i++)
                {
                    u64[i] = c.Uint64Contents[i];
                }

                break;
            case DataType.FP32:
                CheckCount(name, c.Fp32Contents.Count, count, shape);
                var f32 = MemoryMarshal.Cast<byte, float>(dest);
                for (var i = 0; i < f32.Length; i++)
                {
                    f32[i] = c.Fp32Contents[i];
                }

                break;
            case DataType.FP64:
                CheckCount(name, c.Fp64Contents.Count, count, shape);
                var f64 = MemoryMarshal.Cast<byte, double>(dest);
                for (var i = 0; i < f64.Length; i++)
                {
                    f64[i] = c.Fp64Contents[i];
                }

                break;
            default:
                throw InferenceException.Invalid($"input '{name}': datatype {type.ToWire()} is not supported in contents");
        }
    }

    private static int FieldCount(DataType type, InferTensorContents c) => type switch
    {
        DataType.Bool => c.BoolContents.Count,
        DataType.Int8 or DataType.Int16 or DataType.Int32 => c.IntContents.Count,
        DataType.Int64 => c.Int64Contents.Count,
        DataType.UInt8 or DataType.UInt16 or DataType.UInt32 => c.UintContents.Count,
        DataType.UInt64 => c.Uint64Contents.Count,
        DataType.FP32 => c.Fp32Contents.Count,
        DataType.FP64 => c.Fp64Contents.Count,
        _ => 0,
    };

    /// <summary>Writes <paramref name="tensor"/> into the typed contents field its datatype uses.</summary>
    public static InferTensorContents Encode(InferTensor tensor)
    {
        var c = new InferTensorContents();
        var data = tensor.Data.Span;
        switch (tensor.DataType)
        {
            case DataType.Bool:
                foreach (var b in data)
                {
                    c.BoolContents.Add(b != 0);
                }

                break;
            case DataType.Int8:
                foreach (var b in data)
                {
                    c.IntContents.Add(unchecked((sbyte)b));
                }

                break;
            case DataType.Int16:
                foreach (var v in MemoryMarshal.Cast<byte, short>(data))
                {
                    c.IntContents.Add(v);
                }

                break;
            case DataType.Int32:
                c.IntContents.Capacity = data.Length / 4;
                foreach (var v in MemoryMarshal.Cast<byte, int>(data))
                {
                    c.IntContents.Add(v);
                }

                break;
            case DataType.Int64:
                c.Int64Contents.Capacity = data.Length / 8;
                foreach (var v in MemoryMarshal.Cast<byte, long>(data))
                {
                    c.Int64Contents.Add(v);
                }

                break;
            case DataType.UInt8:
                foreach (var b in data)
                {
                    c.UintContents.Add(b);
                }

                break;
            case DataType.UInt16:
                foreach (var v in MemoryMarshal.Cast<byte, ushort>(data))
                {
                    c.UintContents.Add(v);
                }

                break;
            case DataType.UInt32:
                foreach (var v in MemoryMarshal.Cast<byte, uint>(data))
                {
                    c.UintContents.Add(v);
                }

                break;
            case DataType.UInt64:
                foreach (var v in MemoryMarshal.Cast<byte, ulong>(data))
                {
                    c.Uint64Contents.Add(v);
                }

                break;
            case DataType.FP32:
                c.Fp32Contents.Capacity = data.Length / 4;
                foreach (var v in MemoryMarshal.Cast<byte, float>(data))
                {
                    c.Fp32Contents.Add(v);
                }

                break;
            case DataType.FP64:
                c.Fp64Contents.Capacity = data.Length / 8;
                foreach (var v in MemoryMarshal.Cast<byte, double>(data))
                {
                    c.Fp64Contents.Add(v);
                }

                break;
            case DataType.Bytes:
                foreach (var e in tensor.Elements!)
                {
                    c.BytesContents.Add(Google.Protobuf.ByteString.CopyFrom(e.Span));
                }

                break;
            default:
                throw new InvalidOperationException($"{tensor.DataType.ToWire()} has no typed contents field; use raw contents.");
        }

        return c;
    }

    /// <summary>True when the datatype can only travel as raw bytes.</summary>
    public static bool NeedsRaw(DataType type) => type is DataType.FP16 or DataType.BF16;

    private static void CheckCount(string name, int actual, long expected, long[] shape)
    {
        if (actual != expected)
        {
            throw InferenceException.Invalid($"input '{name}' has {actual} elements but its shape {Shapes.Format(shape)} needs {expected}");
        }
    }

    private static int InRange(string name, int value, int min, int max) =>
        value < min || value > max
            ? throw InferenceException.Invalid($"input '{name}': value {value} is out of range [{min}, {max}]")
            : value;

    private static uint InRangeU(string name, uint value, uint max) =>
        value > max
            ? throw InferenceException.Invalid($"input '{name}': value {value} is out of range [0, {max}]")
            : value;

}
