using System.Buffers.Binary;
using System.Text;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Tests.TestSupport;

/// <summary>Tensor comparisons that say which element differs.</summary>
internal static class TensorAssert
{
    /// <summary>Same name, datatype, shape and exactly the same bytes (NaN payloads included).</summary>
    public static void Identical(InferTensor expected, InferTensor actual)
    {
        SameHeader(expected, actual);
        if (expected.DataType == DataType.Bytes)
        {
            SameStrings(expected, actual);
            return;
        }

        Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
    }

    /// <summary>
    /// Same name, datatype, shape and element values; any NaN equals any NaN (JSON carries no payload),
    /// but -0.0 and +0.0 differ.
    /// </summary>
    public static void SameValues(InferTensor expected, InferTensor actual)
    {
        SameHeader(expected, actual);
        if (expected.DataType == DataType.Bytes)
        {
            SameStrings(expected, actual);
            return;
        }

        if (expected.DataType is not (DataType.FP16 or DataType.BF16 or DataType.FP32 or DataType.FP64))
        {
            Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
            return;
        }

        var e = Values(expected);
        var a = Values(actual);
        Assert.Equal(e.Length, a.Length);
        for (var i = 0; i < e.Length; i++)
        {
            var equal = (double.IsNaN(e[i]) && double.IsNaN(a[i]))
                || BitConverter.DoubleToInt64Bits(e[i]) == BitConverter.DoubleToInt64Bits(a[i]);
            Assert.True(equal, $"element {i}: expected {e[i]:R}, got {a[i]:R}");
        }
    }

    /// <summary>A BYTES tensor's elements as UTF-8 strings.</summary>
    public static string[] StringsOf(InferTensor tensor) =>
        tensor.Elements!.Select(e => Encoding.UTF8.GetString(e.Span)).ToArray();

    private static void SameHeader(InferTensor expected, InferTensor actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.DataType, actual.DataType);
        Assert.Equal(expected.Shape, actual.Shape);
    }

    private static void SameStrings(InferTensor expected, InferTensor actual)
    {
        Assert.NotNull(actual.Elements);
        Assert.Equal(
            expected.Elements!.Select(e => e.ToArray()),
            actual.Elements!.Select(e => e.ToArray()));
    }

    private static double[] Values(InferTensor t)
    {
        var span = t.Data.Span;
        var size = t.DataType.ElementSize();
        var values = new double[span.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            var s = span.Slice(i * size, size);
            values[i] = t.DataType switch
            {
                DataType.FP16 => (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(s)),
                DataType.BF16 => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(s) << 16),
                DataType.FP32 => BinaryPrimitives.ReadSingleLittleEndian(s),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(s),
            };
        }

        return values;
    }
}
