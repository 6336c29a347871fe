using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Serving.Protocol.Errors;

namespace Serving.Protocol.Tensors;

/// <summary>The REST <c>data</c> field: a flat or nested row-major JSON array.</summary>
public static class JsonContentsCodec
{
    /// <summary>Decodes <paramref name="data"/> (flat or nested) into a tensor of <paramref name="count"/> elements.</summary>
    public static InferTensor Decode(string name, DataType type, long[] shape, long count, JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            throw InferenceException.Invalid($"input '{name}': 'data' must be an array");
        }

        var leaves = CountLeaves(name, data, 0);
        if (leaves != count)
        {
            throw InferenceException.Invalid(leaves > count
                ? $"input '{name}': 'data' has more elements than its shape holds ({count})"
                : $"input '{name}' has {leaves} elements but its shape {Shapes.Format(shape)} needs {count}");
        }

        if (type == DataType.Bytes)
        {
            var elements = new ReadOnlyMemory<byte>[count];
            var n = 0;
            FlattenStrings(name, data, elements, ref n, count, depth: 0);
            CheckCount(name, n, count, shape);
            return InferTensor.Strings(name, shape, elements);
        }

        var size = type.ElementSize();
        var length = checked((int)(count * size));
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            var written = 0;
            Flatten(name, type, data, rented.AsSpan(0, length), ref written, count, depth: 0);
            CheckCount(name, written, count, shape);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }

        return InferTensor.Fixed(name, type, shape, rented.AsMemory(0, length), rented);
    }

    private static long CountLeaves(string name, JsonElement array, int depth)
    {
        if (depth > 32)
        {
            throw InferenceException.Invalid($"input '{name}': 'data' is nested too deeply");
        }

        long n = 0;
        foreach (var item in array.EnumerateArray())
        {
            n += item.ValueKind == JsonValueKind.Array ? CountLeaves(name, item, depth + 1) : 1;
        }

        return n;
    }

    private static void Flatten(string name, DataType type, JsonElement array, Span<byte> dest, ref int index, long count, int depth)
    {
        if (depth > 32)
        {
            throw InferenceException.Invalid($"input '{name}': 'data' is nested too deeply");
        }

        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                Flatten(name, type, item, dest, ref index, count, depth + 1);
                continue;
            }

            if (index >= count)
            {
                throw InferenceException.Invalid($"input '{name}': 'data' has more elements than its shape holds ({count})");
            }

            WriteElement(name, type, item, dest, index++);
        }
    }

    private static void FlattenStrings(string name, JsonElement array, ReadOnlyMemory<byte>[] dest, ref int index, long count, int depth)
    {
        if (depth > 32)
        {
            throw InferenceException.Invalid($"input '{name}': 'data' is nested too deeply");
        }

        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                FlattenStrings(name, item, dest, ref index, count, depth + 1);
                continue;
            }

            if (index >= count)
            {
                throw InferenceException.Invalid($"input '{name}': 'data' has more elements than its shape holds ({count})");
            }

            if (item.ValueKind != JsonValueKind.String)
            {
                throw InferenceException.Invalid($"input '{name}': BYTES elements must be JSON strings");
            }

            dest[index++] = Utf8(name, item);
        }
    }

    private static byte[] Utf8(string name, JsonElement item)
    {
        try
        {
            return Encoding.UTF8.GetBytes(item.GetString()!);
        }
        catch (InvalidOperationException)
        {
            throw InferenceException.Invalid($"input '{name}': a BYTES element is not valid UTF-16/UTF-8 text (lone surrogate escape)");
        }
    }

    private static void WriteElement(string name, DataType type, JsonElement item, Span<byte> dest, int i)
    {
        switch (type)
        {
            case DataType.Bool:
                dest[i] = item.ValueKind switch
                {
                    JsonValueKind.True => 1,
                    JsonValueKind.False => 0,
                    _ => throw Wrong(name, type, item),
                };
                break;
            case DataType.Int8:
                dest[i] = unchecked((byte)(sbyte)Integer(name, type, item, sbyte.MinValue, sbyte.MaxValue));
                break;
            case DataType.Int16:
                MemoryMarshal.Cast<byte, short>(dest)[i] = (short)Integer(name, type, item, short.MinValue, short.MaxValue);
                break;
            case DataType.Int32:
                MemoryMarshal.Cast<byte, int>(dest)[i] = (int)Integer(name, type, item, int.MinValue, int.MaxValue);
                break;
            case DataType.Int64:
                MemoryMarshal.Cast<byte, long>(dest)[i] = Integer(name, type, item, long.MinValue, long.MaxValue);
                break;
            case DataType.UInt8:
                dest[i] = (byte)Unsigned(name, type, item, byte.MaxValue);
                break;
            case DataType.UInt16:
                MemoryMarshal.Cast<byte, ushort>(dest)[i] = (ushort)Unsigned(name, type, item, ushort.MaxValue);
                break;
            case DataType.UInt32:
                MemoryMarshal.Cast<byte, uint>(dest)[i] = (uint)Unsigned(name, type, item, uint.MaxValue);
                break;
            case DataType.UInt64:
                MemoryMarshal.Cast<byte, ulong>(dest)[i] = Unsigned(name, type, item, ulong.MaxValue);
                break;
            case DataType.FP16:
                var half = Real(name, type, item);
                EnsureFits(name, type, half, Half.IsInfinity((Half)half));
                MemoryMarshal.Cast<byte, Half>(dest)[i] = (Half)half;
                break;
            case DataType.BF16:
                var bf16 = Real(name, type, item);
                var bits = ToBFloat16((float)bf16);
                EnsureFits(name, type, bf16, float.IsInfinity(FromBFloat16(bits)));
                MemoryMarshal.Cast<byte, ushort>(dest)[i] = bits;
                break;
            case DataType.FP32:
                var single = Real(name, type, item);
                EnsureFits(name, type, single, float.IsInfinity((float)single));
                MemoryMarshal.Cast<byte, float>(dest)[i] = (float)single;
                break;
            case DataType.FP64:
                MemoryMarshal.Cast<byte, double>(dest)[i] = Real(name, type, item);
                break;
            default:
                throw InferenceException.Invalid($"input '{name}': datatype {type.ToWire()} is not supported");
        }
    }

    private static long Integer(string name, DataType type, JsonElement item, long min, long max)
    {
        if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var value))
        {
            throw Wrong(name, type, item);
        }

        return value < min || value > max
            ? throw InferenceException.Invalid($"input '{name}': value {value} is out of range for {type.ToWire()}")
            : value;
    }

    private static ulong Unsigned(string name, DataType type, JsonElement item, ulong max)
    {
        if (item.ValueKind != JsonValueKind.Number || !item.TryGetUInt64(out var value))
        {
            throw Wrong(name, type, item);
        }

        return value > max
            ? throw InferenceException.Invalid($"input '{name}': value {value} is out of range for {type.ToWire()}")
            : value;
    }

    private static double Real(string name, DataType type, JsonElement item)
    {
        if (item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out var value))
        {
            return value;
        }

        // JSON has no literal for these; Python's json module writes them as bare words, others as strings.
        if (item.ValueKind == JsonValueKind.String)
        {
            switch (item.GetString())
            {
                case "NaN": return double.NaN;
                case "Infinity" or "inf": return double.PositiveInfinity;
                case "-Infinity" or "-inf": return double.NegativeInfinity;
            }
        }

        throw Wrong(name, type, item);
    }

    // A finite number that the narrower type can only hold as infinity (1e39 for FP32) is refused, as an integer out
    // of its type's range is; NaN and the infinities given as such ("Infinity") pass.
    private static void EnsureFits(string name, DataType type, double value, bool overflows)
    {
        if (double.IsFinite(value) && overflows)
        {
            throw InferenceException.Invalid($"input '{name}': value {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range for {type.ToWire()}");
        }
    }

    private static InferenceException Wrong(string name, DataType type, JsonElement item) =>
        InferenceException.Invalid($"input '{name}': a JSON {item.ValueKind.ToString().ToLowerInvariant()} is not a {type.ToWire()} value");

    private static void CheckCount(string name, int actual, long expected, long[] shape)
    {
        if (actual != expected)
        {
            throw InferenceException.Invalid($"input '{name}' has {actual} elements but its shape {Shapes.Format(shape)} needs {expected}");
        }
    }

    /// <summary>Writes the tensor's elements as a flat JSON array.</summary>
    public static void Write(Utf8JsonWriter writer, InferTensor tensor)
    {
        writer.WriteStartArray();
        var data = tensor.Data.Span;
        switch (tensor.DataType)
        {
            case DataType.Bool:
                foreach (var b in data)
                {
                    writer.WriteBooleanValue(b != 0);
                }

                break;
            case DataType.Int8:
                foreach (var b in data)
                {
                    writer.WriteNumberValue(unchecked((sbyte)b));
                }

                break;
            case DataType.Int16:
                foreach (var v in MemoryMarshal.Cast<byte, short>(data))
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case DataType.Int32:
                foreach (var v in MemoryMarshal.Cast<byte, int>(data))
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case DataType.Int64:
                foreach (var v in MemoryMarshal.Cast<byte, long>(data))
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case DataType.UInt8:
                foreach (var b in data)
                {
                    writer.WriteNumberValue(b);
                }

                break;
            case DataType.UInt16:
                foreach (var v in MemoryMarshal.Cast<byte, ushort>(data))
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case DataType.UInt32:
                foreach (var v in MemoryMarshal.Cast<byte, uint>(data))
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case DataType.UInt64:
                foreach (var v in MemoryMarshal.Cast<byte, ulong>(data))
                {
                    writer.WriteNumberValue(v);
                }

                break;
            case DataType.FP16:
                foreach (var v in MemoryMarshal.Cast<byte, Half>(data))
                {
                    WriteReal(writer, (float)v);
                }

                break;
            case DataType.BF16:
                foreach (var v in MemoryMarshal.Cast<byte, ushort>(data))
                {
                    WriteReal(writer, FromBFloat16(v));
                }

                break;
            case DataType.FP32:
                foreach (var v in MemoryMarshal.Cast<byte, float>(data))
                {
                    WriteReal(writer, v);
                }

                break;
            case DataType.FP64:
                foreach (var v in MemoryMarshal.Cast<byte, double>(data))
                {
                    WriteReal(writer, v);
                }

                break;
            case DataType.Bytes:
                var elements = tensor.Elements!;
                for (var i = 0; i < elements.Length; i++)
                {
                    // A JSON string is text: bytes that are not UTF-8 would come out as U+FFFD, changed without a word.
                    if (!System.Text.Unicode.Utf8.IsValid(elements[i].Span))
                    {
                        throw InferenceException.Invalid(
                            $"output '{tensor.Name}' element {i} is not UTF-8 text, which a JSON answer can't carry unchanged: ask for it as binary data "
                            + $"(\"outputs\": [{{\"name\": \"{tensor.Name}\", \"parameters\": {{\"binary_data\": true}}}}]), or call over gRPC");
                    }

                    writer.WriteStringValue(elements[i].Span);
                }

                break;
        }

        writer.WriteEndArray();
    }

    private static void WriteReal(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            WriteNonFinite(writer, value);
        }
    }

    private static void WriteReal(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            WriteNonFinite(writer, value);
        }
    }

    private static void WriteNonFinite(Utf8JsonWriter writer, double value) =>
        writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");

    /// <summary>bfloat16 from float, rounding to nearest even.</summary>
    public static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return 0x7FC0;
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>float from bfloat16.</summary>
    public static float FromBFloat16(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);
}
