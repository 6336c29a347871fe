using System.Text.Json;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Tensors;

public sealed class JsonContentsCodecTests
{
    public static TheoryData<DataType> AllTypes => TensorSamples.All;

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Decode_WrittenBoundaryValues_RoundTrips(DataType type)
    {
        using var original = TensorSamples.Boundary(type);
        var json = JsonData.Write(original);

        using var decoded = JsonData.Decode(type, original.Shape, json);

        TensorAssert.SameValues(original, decoded);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Write_BoundaryValues_WritesFlatArrayOfElementCount(DataType type)
    {
        using var tensor = TensorSamples.Boundary(type);

        using var document = JsonDocument.Parse(JsonData.Write(tensor));

        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        Assert.Equal(tensor.ElementCount, document.RootElement.GetArrayLength());
        Assert.All(document.RootElement.EnumerateArray(), e => Assert.NotEqual(JsonValueKind.Array, e.ValueKind));
    }

    [Fact]
    public void Write_Integers_WritesExactExtremes()
    {
        using var int64 = TensorSamples.Boundary(DataType.Int64);
        using var uint64 = TensorSamples.Boundary(DataType.UInt64);
        using var int8 = TensorSamples.Boundary(DataType.Int8);

        Assert.Equal("[-9223372036854775808,-1,0,1,9223372036854775807]", JsonData.Write(int64));
        Assert.Equal("[0,1,9223372036854775807,9223372036854775808,18446744073709551615]", JsonData.Write(uint64));
        Assert.Equal("[-128,-1,0,1,127]", JsonData.Write(int8));
    }

    [Theory]
    [InlineData(DataType.FP16)]
    [InlineData(DataType.BF16)]
    [InlineData(DataType.FP32)]
    [InlineData(DataType.FP64)]
    public void Write_NonFiniteValues_WritesTheirNamesAsStrings(DataType type)
    {
        using var tensor = type switch
        {
            DataType.FP16 => TensorSamples.Fixed("x", type, [3], new[] { Half.NaN, Half.PositiveInfinity, Half.NegativeInfinity }),
            DataType.BF16 => TensorSamples.Fixed("x", type, [3], new ushort[] { 0x7FC0, 0x7F80, 0xFF80 }),
            DataType.FP32 => TensorSamples.Fixed("x", type, [3], new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }),
            _ => TensorSamples.Fixed("x", type, [3], new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity }),
        };

        Assert.Equal("[\"NaN\",\"Infinity\",\"-Infinity\"]", JsonData.Write(tensor));
    }

    [Fact]
    public void Write_Bool_WritesJsonBooleans()
    {
        using var tensor = TensorSamples.Boundary(DataType.Bool);

        Assert.Equal("[true,false,false,true]", JsonData.Write(tensor));
    }

    [Fact]
    public void Decode_NonFiniteSpellings_Accepted()
    {
        using var tensor = JsonData.Decode(DataType.FP64, [5], "[\"NaN\",\"Infinity\",\"-Infinity\",\"inf\",\"-inf\"]");

        var values = tensor.As<double>().ToArray();
        Assert.True(double.IsNaN(values[0]));
        Assert.Equal([double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity, double.NegativeInfinity], values[1..]);
    }

    [Fact]
    public void Decode_NegativeZero_KeepsTheSign()
    {
        using var fp32 = JsonData.Decode(DataType.FP32, [1], "[-0.0]");
        using var bf16 = JsonData.Decode(DataType.BF16, [1], "[-0.0]");

        Assert.True(float.IsNegative(fp32.As<float>()[0]));
        Assert.Equal(0x8000, bf16.As<ushort>()[0]);
    }

    [Theory]
    [InlineData("[1.0]", 0x3F80)]
    [InlineData("[1.00390625]", 0x3F80)]
    [InlineData("[1.01171875]", 0x3F82)]
    [InlineData("[-2.5]", 0xC020)]
    [InlineData("[3.38e38]", 0x7F7E)]
    [InlineData("[\"NaN\"]", 0x7FC0)]
    [InlineData("[\"Infinity\"]", 0x7F80)]
    public void Decode_BF16_RoundsToNearestEven(string json, int expectedBits)
    {
        using var tensor = JsonData.Decode(DataType.BF16, [1], json);

        Assert.Equal(expectedBits, tensor.As<ushort>()[0]);
    }

    /// <summary>
    /// A finite number the type can hold only as infinity is refused, as an integer past its type's range is (1e39 as
    /// FP32 became +Infinity without a word); infinities asked for by name still pass.
    /// </summary>
    [Theory]
    [InlineData(DataType.FP32, "[1e39]", "value 1E+39 is out of range for FP32")]
    [InlineData(DataType.FP32, "[-3.5e38]", "value -3.5E+38 is out of range for FP32")]
    [InlineData(DataType.FP16, "[70000]", "value 70000 is out of range for FP16")]
    [InlineData(DataType.BF16, "[3.4e38]", "value 3.4E+38 is out of range for BF16")]
    public void Decode_FiniteValuePastTheTypesRange_Refused(DataType type, string json, string message)
    {
        var e = Assert.Throws<InferenceException>(() => JsonData.Decode(type, [1], json));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DataType.FP32, "[3.4028234e38]")]
    [InlineData(DataType.FP16, "[65504]")]
    public void Decode_LargestFiniteValue_Accepted(DataType type, string json)
    {
        using var tensor = JsonData.Decode(type, [1], json);

        Assert.Equal(1, tensor.ElementCount);
    }

    [Theory]
    [InlineData(DataType.FP32, "[[1.5,2,3],[4,5,6.25]]", "[1.5,2,3,4,5,6.25]")]
    [InlineData(DataType.Int32, "[[-1,2,3],[4,5,2147483647]]", "[-1,2,3,4,5,2147483647]")]
    [InlineData(DataType.Bool, "[[true,false,true],[false,false,true]]", "[true,false,true,false,false,true]")]
    [InlineData(DataType.UInt64, "[[0,1,2],[3,4,18446744073709551615]]", "[0,1,2,3,4,18446744073709551615]")]
    [InlineData(DataType.FP16, "[[0.5,1,\"NaN\"],[4,5,65504]]", "[0.5,1,\"NaN\",4,5,65504]")]
    [InlineData(DataType.Bytes, "[[\"a\",\"\",\"ü\"],[\"d\",\"e\",\"f\"]]", "[\"a\",\"\",\"ü\",\"d\",\"e\",\"f\"]")]
    public void Decode_NestedTwoByThree_EqualsFlat(DataType type, string nested, string flat)
    {
        using var fromNested = JsonData.Decode(type, [2, 3], nested);
        using var fromFlat = JsonData.Decode(type, [2, 3], flat);

        TensorAssert.SameValues(fromFlat, fromNested);
    }

    [Fact]
    public void Decode_NestedTwoByThree_IsRowMajor()
    {
        using var tensor = JsonData.Decode(DataType.Int32, [2, 3], "[[1,2,3],[4,5,6]]");

        Assert.Equal([1, 2, 3, 4, 5, 6], tensor.As<int>().ToArray());
    }

    [Theory]
    [InlineData(new long[] { 2, 2, 2 }, "[[[1,2],[3,4]],[[5,6],[7,8]]]")]
    [InlineData(new long[] { 1, 1, 2, 4 }, "[[[[1,2,3,4],[5,6,7,8]]]]")]
    [InlineData(new long[] { 8, 1 }, "[[1],[2],[3],[4],[5],[6],[7],[8]]")]
    public void Decode_DeeperNesting_EqualsFlat(long[] shape, string nested)
    {
        using var tensor = JsonData.Decode(DataType.Int64, shape, nested);

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8], tensor.As<long>().ToArray());
        Assert.Equal(shape, tensor.Shape);
    }

    [Fact]
    public void Decode_NestingBeyondLimit_ThrowsInvalidArgument()
    {
        var json = new string('[', 40) + "1" + new string(']', 40);

        var e = InferenceAssert.Invalid(() => JsonData.Decode(DataType.Int32, [1], json));
        Assert.Contains("nested", e.Message);
    }

    [Theory]
    [InlineData(DataType.Int8, "[200]")]
    [InlineData(DataType.Int8, "[-129]")]
    [InlineData(DataType.Int16, "[32768]")]
    [InlineData(DataType.Int32, "[2147483648]")]
    [InlineData(DataType.Int64, "[9223372036854775808]")]
    [InlineData(DataType.UInt8, "[256]")]
    [InlineData(DataType.UInt8, "[-1]")]
    [InlineData(DataType.UInt16, "[65536]")]
    [InlineData(DataType.UInt32, "[4294967296]")]
    [InlineData(DataType.UInt64, "[18446744073709551616]")]
    [InlineData(DataType.UInt64, "[-1]")]
    public void Decode_IntegerOutOfRange_ThrowsInvalidArgument(DataType type, string json)
    {
        var e = InferenceAssert.Invalid(() => JsonData.Decode(type, [1], json, "ints"));

        Assert.Contains("'ints'", e.Message);
    }

    [Theory]
    [InlineData(DataType.Int32, "[\"1\"]")]
    [InlineData(DataType.Int32, "[1.5]")]
    [InlineData(DataType.Int8, "[1e1]")]
    [InlineData(DataType.UInt8, "[0.5]")]
    [InlineData(DataType.Int64, "[true]")]
    [InlineData(DataType.FP32, "[\"abc\"]")]
    [InlineData(DataType.FP32, "[\"1.5\"]")]
    [InlineData(DataType.FP64, "[null]")]
    [InlineData(DataType.FP64, "[{}]")]
    [InlineData(DataType.FP16, "[false]")]
    [InlineData(DataType.Bool, "[1]")]
    [InlineData(DataType.Bool, "[\"true\"]")]
    [InlineData(DataType.Bytes, "[1]")]
    [InlineData(DataType.Bytes, "[null]")]
    public void Decode_ValueOfWrongJsonKind_ThrowsInvalidArgument(DataType type, string json)
    {
        var e = InferenceAssert.Invalid(() => JsonData.Decode(type, [1], json, "typed"));

        Assert.Contains(type.ToWire(), e.Message);
    }

    [Theory]
    [InlineData(DataType.FP32, "[1,2]")]
    [InlineData(DataType.FP32, "[1,2,3,4]")]
    [InlineData(DataType.FP32, "[]")]
    [InlineData(DataType.Int8, "[[1,2],[3,4]]")]
    [InlineData(DataType.Bytes, "[\"a\",\"b\"]")]
    [InlineData(DataType.Bytes, "[\"a\",\"b\",\"c\",\"d\"]")]
    public void Decode_ElementCountDiffersFromShape_ThrowsInvalidArgument(DataType type, string json)
    {
        InferenceAssert.Invalid(() => JsonData.Decode(type, [3], json));
    }

    [Theory]
    [InlineData(DataType.FP32, "1.5")]
    [InlineData(DataType.FP32, "{\"a\":1}")]
    [InlineData(DataType.Bytes, "\"abc\"")]
    [InlineData(DataType.Int32, "null")]
    public void Decode_DataNotAnArray_ThrowsInvalidArgument(DataType type, string json)
    {
        var e = InferenceAssert.Invalid(() => JsonData.Decode(type, [1], json));

        Assert.Contains("array", e.Message);
    }

    [Fact]
    public void Decode_BytesStrings_AreUtf8Encoded()
    {
        using var tensor = JsonData.Decode(DataType.Bytes, [2], "[\"\\u00e9\",\"日本\"]");

        Assert.Equal(new byte[] { 0xC3, 0xA9 }, tensor.Elements![0].ToArray());
        Assert.Equal("日本"u8.ToArray(), tensor.Elements![1].ToArray());
    }

    [Fact]
    public void Decode_BytesWithLoneSurrogateEscape_ThrowsInvalidArgument()
    {
        InferenceAssert.Invalid(() => JsonData.Decode(DataType.Bytes, [1], "[\"\\ud800\"]"));
    }

    [Fact]
    public void Decode_ShapeFarLargerThanData_FailsWithoutAllocatingTheTensor()
    {
        const long count = 16L * 1024 * 1024;
        using var document = JsonDocument.Parse("[\"a\"]");
        var before = GC.GetAllocatedBytesForCurrentThread();

        InferenceAssert.Invalid(() => JsonContentsCodec.Decode("s", DataType.Bytes, [count], count, document.RootElement));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, "allocated per declared element before reading 'data'");
    }
}
