using System.Runtime.InteropServices;
using Serving.Protocol.Tensors;

namespace Serving.LoadTests.Payloads;

/// <summary>Random inputs shaped by model metadata; seeded so two runs send the same bytes.</summary>
internal static class RandomTensorFactory
{
    /// <summary>A tensor for <paramref name="spec"/> with a variable first dimension set to <paramref name="batch"/> and other variable ones to 1.</summary>
    public static InferTensor Create(TensorSpec spec, int batch, Random random)
    {
        if (!DataTypes.TryParse(spec.DataType, out var type))
        {
            throw new LoadTestException($"input '{spec.Name}' has datatype '{spec.DataType}', which the protocol does not define");
        }

        if (type == DataType.Bytes)
        {
            throw new LoadTestException($"input '{spec.Name}' is BYTES: random data cannot fit it, pass --input-file");
        }

        var shape = new long[spec.Shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = spec.Shape[i] >= 0 ? spec.Shape[i] : i == 0 ? batch : 1;
        }

        var bytes = new byte[checked((int)(Shapes.ElementCount(shape) * type.ElementSize()))];
        Fill(type, bytes, random);
        return InferTensor.Fixed(spec.Name, type, shape, bytes);
    }

    private static void Fill(DataType type, byte[] bytes, Random random)
    {
        switch (type)
        {
            case DataType.FP32:
                foreach (ref var v in MemoryMarshal.Cast<byte, float>(bytes.AsSpan()))
                {
                    v = random.NextSingle();
                }

                break;
            case DataType.FP64:
                foreach (ref var v in MemoryMarshal.Cast<byte, double>(bytes.AsSpan()))
                {
                    v = random.NextDouble();
                }

                break;
            case DataType.FP16:
                foreach (ref var v in MemoryMarshal.Cast<byte, Half>(bytes.AsSpan()))
                {
                    v = (Half)random.NextSingle();
                }

                break;
            case DataType.BF16:
                foreach (ref var v in MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan()))
                {
                    v = JsonContentsCodec.ToBFloat16(random.NextSingle());
                }

                break;
            case DataType.Bool:
                for (var i = 0; i < bytes.Length; i++)
                {
                    bytes[i] = (byte)random.Next(2);
                }

                break;
            default:
                // Integers: small non-negative values fit every integer type and are valid ids or categories for most models.
                var size = type.ElementSize();
                for (var i = 0; i < bytes.Length; i += size)
                {
                    bytes[i] = (byte)random.Next(10);
                }

                break;
        }
    }
}
