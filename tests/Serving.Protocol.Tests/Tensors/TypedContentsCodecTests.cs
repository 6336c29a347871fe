using Google.Protobuf;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Tensors;

public sealed class TypedContentsCodecTests
{
    public static TheoryData<DataType> TypedTypes => TensorSamples.Typed;

    [Theory]
    [MemberData(nameof(TypedTypes))]
    public void Decode_EncodedBoundaryValues_RoundTrips(DataType type)
    {
        using var original = TensorSamples.Boundary(type);
        var contents = TypedContentsCodec.Encode(original);

        // Through the wire, so the test covers what a client would actually send.
        var parsed = InferTensorContents.Parser.ParseFrom(contents.ToByteArray());
        using var decoded = TypedContentsCodec.Decode("x", type, original.Shape, original.ElementCount, parsed);

        TensorAssert.Identical(original, decoded);
    }

    [Theory]
    [InlineData(DataType.Bool, "bool")]
    [InlineData(DataType.UInt8, "uint")]
    [InlineData(DataType.UInt16, "uint")]
    [InlineData(DataType.UInt32, "uint")]
    [InlineData(DataType.UInt64, "uint64")]
    [InlineData(DataType.Int8, "int")]
    [InlineData(DataType.Int16, "int")]
    [InlineData(DataType.Int32, "int")]
    [InlineData(DataType.Int64, "int64")]
    [InlineData(DataType.FP32, "fp32")]
    [InlineData(DataType.FP64, "fp64")]
    [InlineData(DataType.Bytes, "bytes")]
    public void Encode_EachType_FillsOnlyItsProtocolField(DataType type, string field)
    {
        using var tensor = TensorSamples.Boundary(type);

        var counts = FieldCounts(TypedContentsCodec.Encode(tensor));

        Assert.Equal(tensor.ElementCount, counts[field]);
        Assert.All(counts.Where(c => c.Key != field), c => Assert.Equal(0, c.Value));
    }

    [Fact]
    public void Encode_Int8AndUInt16_WritesSignedAndUnsignedValues()
    {
        using var int8 = TensorSamples.Boundary(DataType.Int8);
        using var uint16 = TensorSamples.Boundary(DataType.UInt16);

        Assert.Equal([-128, -1, 0, 1, 127], TypedContentsCodec.Encode(int8).IntContents);
        Assert.Equal([0u, 1u, 32767u, 32768u, 65535u], TypedContentsCodec.Encode(uint16).UintContents);
    }

    [Theory]
    [InlineData(DataType.FP16)]
    [InlineData(DataType.BF16)]
    public void Encode_HalfPrecision_ThrowsBecauseOnlyRawCarriesIt(DataType type)
    {
        using var tensor = TensorSamples.Boundary(type);

        Assert.Throws<InvalidOperationException>(() => TypedContentsCodec.Encode(tensor));
        Assert.True(TypedContentsCodec.NeedsRaw(type));
    }

    [Theory]
    [MemberData(nameof(TypedTypes))]
    public void NeedsRaw_TypeWithContentsField_ReturnsFalse(DataType type)
    {
        Assert.False(TypedContentsCodec.NeedsRaw(type));
    }

    [Theory]
    [InlineData(DataType.FP16)]
    [InlineData(DataType.BF16)]
    public void Decode_HalfPrecisionInContents_ThrowsInvalidArgument(DataType type)
    {
        var contents = new InferTensorContents();
        contents.Fp32Contents.Add(1.5f);

        var e = InferenceAssert.Invalid(() => TypedContentsCodec.Decode("h", type, [1], 1, contents));
        Assert.Contains("raw", e.Message);
    }

    [Theory]
    [InlineData(DataType.Int8, 200)]
    [InlineData(DataType.Int8, 128)]
    [InlineData(DataType.Int8, -129)]
    [InlineData(DataType.Int16, 32768)]
    [InlineData(DataType.Int16, -32769)]
    [InlineData(DataType.UInt8, 256)]
    [InlineData(DataType.UInt8, 4294967295)]
    [InlineData(DataType.UInt16, 65536)]
    public void Decode_ValueOutOfRange_ThrowsInvalidArgument(DataType type, long value)
    {
        var contents = new InferTensorContents();
        if (type is DataType.Int8 or DataType.Int16)
        {
            contents.IntContents.Add(0);
            contents.IntContents.Add((int)value);
        }
        else
        {
            contents.UintContents.Add(0);
            contents.UintContents.Add((uint)value);
        }

        var e = InferenceAssert.Invalid(() => TypedContentsCodec.Decode("small", type, [2], 2, contents));
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Theory]
    [InlineData(DataType.Int8, -128)]
    [InlineData(DataType.Int8, 127)]
    [InlineData(DataType.Int16, -32768)]
    [InlineData(DataType.Int16, 32767)]
    public void Decode_SignedValueAtRangeEdge_Accepted(DataType type, int value)
    {
        var contents = new InferTensorContents();
        contents.IntContents.Add(value);

        using var tensor = TypedContentsCodec.Decode("x", type, [1], 1, contents);

        long stored = type == DataType.Int8 ? tensor.As<sbyte>()[0] : tensor.As<short>()[0];
        Assert.Equal(value, stored);
    }

    [Theory]
    [InlineData(DataType.Int32, 2)]
    [InlineData(DataType.Int32, 4)]
    [InlineData(DataType.FP32, 0)]
    [InlineData(DataType.Bool, 1)]
    [InlineData(DataType.UInt64, 5)]
    [InlineData(DataType.Bytes, 2)]
    public void Decode_ElementCountDiffersFromShape_ThrowsInvalidArgument(DataType type, int provided)
    {
        using var sample = TensorSamples.Boundary(type);
        var full = TypedContentsCodec.Encode(sample);
        var contents = Truncate(full, provided, sample.ElementCount);

        var e = InferenceAssert.Invalid(() => TypedContentsCodec.Decode("x", type, [3], 3, contents));
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void Decode_ValuesInAnotherTypesField_ThrowsInvalidArgument()
    {
        var contents = new InferTensorContents();
        contents.IntContents.Add([1, 2]);

        InferenceAssert.Invalid(() => TypedContentsCodec.Decode("x", DataType.Int64, [2], 2, contents));
    }

    [Fact]
    public void Decode_NullContentsForEmptyShape_ReturnsEmptyTensor()
    {
        using var tensor = TypedContentsCodec.Decode("x", DataType.FP32, [0, 3], 0, null);

        Assert.Equal(0, tensor.Data.Length);
        Assert.Equal([0L, 3L], tensor.Shape);
    }

    [Fact]
    public void Decode_NullContentsForNonEmptyShape_ThrowsInvalidArgument()
    {
        InferenceAssert.Invalid(() => TypedContentsCodec.Decode("x", DataType.FP32, [2], 2, null));
    }

    [Fact]
    public void Decode_BoolContents_StoresOneAndZeroBytes()
    {
        var contents = new InferTensorContents();
        contents.BoolContents.Add([true, false, true]);

        using var tensor = TypedContentsCodec.Decode("b", DataType.Bool, [3], 3, contents);

        Assert.Equal(new byte[] { 1, 0, 1 }, tensor.Data.ToArray());
    }

    [Fact]
    public void Decode_LargeShapeWithEmptyContents_FailsWithoutAllocatingTheTensor()
    {
        const long count = 16L * 1024 * 1024;
        var before = GC.GetAllocatedBytesForCurrentThread();

        InferenceAssert.Invalid(() => TypedContentsCodec.Decode("x", DataType.Int64, [count], count, new InferTensorContents()));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, "allocated the declared tensor before checking its contents");
    }

    private static Dictionary<string, long> FieldCounts(InferTensorContents c) => new()
    {
        ["bool"] = c.BoolContents.Count,
        ["int"] = c.IntContents.Count,
        ["int64"] = c.Int64Contents.Count,
        ["uint"] = c.UintContents.Count,
        ["uint64"] = c.Uint64Contents.Count,
        ["fp32"] = c.Fp32Contents.Count,
        ["fp64"] = c.Fp64Contents.Count,
        ["bytes"] = c.BytesContents.Count,
    };

    // Keeps the first n values of whichever field is filled, repeating the last one to grow past the sample.
    private static InferTensorContents Truncate(InferTensorContents full, int n, long available)
    {
        var result = new InferTensorContents();
        for (var i = 0; i < n; i++)
        {
            var j = (int)Math.Min(i, available - 1);
            Copy(full.BoolContents, result.BoolContents, j);
            Copy(full.IntContents, result.IntContents, j);
            Copy(full.Int64Contents, result.Int64Contents, j);
            Copy(full.UintContents, result.UintContents, j);
            Copy(full.Uint64Contents, result.Uint64Contents, j);
            Copy(full.Fp32Contents, result.Fp32Contents, j);
            Copy(full.Fp64Contents, result.Fp64Contents, j);
            Copy(full.BytesContents, result.BytesContents, j);
        }

        return result;
    }

    private static void Copy<T>(Google.Protobuf.Collections.RepeatedField<T> from, Google.Protobuf.Collections.RepeatedField<T> to, int index)
    {
        if (from.Count > 0)
        {
            to.Add(from[index]);
        }
    }
}
