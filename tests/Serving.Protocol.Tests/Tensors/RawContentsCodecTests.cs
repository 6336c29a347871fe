using System.Runtime.InteropServices;
using Serving.Protocol.Tensors;
using Serving.Protocol.Tests.TestSupport;

namespace Serving.Protocol.Tests.Tensors;

public sealed class RawContentsCodecTests
{
    public static TheoryData<DataType> AllTypes => TensorSamples.All;

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Decode_ToArrayOfBoundaryValues_RoundTrips(DataType type)
    {
        using var original = TensorSamples.Boundary(type);
        var raw = RawContentsCodec.ToArray(original);

        using var decoded = RawContentsCodec.Decode("x", type, original.Shape, original.ElementCount, raw);

        TensorAssert.Identical(original, decoded);
        Assert.Equal(raw.Length, RawContentsCodec.EncodedLength(original));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void ToArray_BoundaryValues_HasProtocolLength(DataType type)
    {
        using var tensor = TensorSamples.Boundary(type);

        var raw = RawContentsCodec.ToArray(tensor);

        var expected = type == DataType.Bytes
            ? TensorSamples.BoundaryStrings.Sum(s => 4 + System.Text.Encoding.UTF8.GetByteCount(s))
            : tensor.ElementCount * type.ElementSize();
        Assert.Equal(expected, raw.Length);
    }

    [Fact]
    public void ToArray_FP32_WritesLittleEndianRowMajor()
    {
        using var tensor = TensorSamples.Fixed("x", DataType.FP32, [2], new[] { 1.0f, -2.0f });

        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0 }, RawContentsCodec.ToArray(tensor));
    }

    [Fact]
    public void ToArray_Bytes_WritesFourByteLittleEndianLengthThenBytes()
    {
        using var tensor = TensorSamples.Strings("s", [3], "ab", "", "é");

        var raw = RawContentsCodec.ToArray(tensor);

        Assert.Equal(new byte[] { 2, 0, 0, 0, (byte)'a', (byte)'b', 0, 0, 0, 0, 2, 0, 0, 0, 0xC3, 0xA9 }, raw);
    }

    [Fact]
    public void Decode_FixedSizeType_SharesTheCallersMemory()
    {
        var raw = TensorSamples.LittleEndian(1, 2, 3);

        using var tensor = RawContentsCodec.Decode("x", DataType.Int32, [3], 3, raw);

        Assert.True(MemoryMarshal.TryGetArray(tensor.Data, out var segment));
        Assert.Same(raw, segment.Array);
    }

    [Theory]
    [InlineData(DataType.FP32, 3, 8)]
    [InlineData(DataType.FP32, 3, 13)]
    [InlineData(DataType.FP32, 3, 0)]
    [InlineData(DataType.Int64, 1, 4)]
    [InlineData(DataType.Bool, 2, 3)]
    [InlineData(DataType.FP16, 2, 2)]
    [InlineData(DataType.BF16, 1, 4)]
    [InlineData(DataType.UInt8, 0, 1)]
    public void Decode_ByteLengthDiffersFromShape_ThrowsInvalidArgument(DataType type, long count, int length)
    {
        var e = InferenceAssert.Invalid(() => RawContentsCodec.Decode("raw_in", type, [count], count, new byte[length]));

        Assert.Contains("'raw_in'", e.Message);
        Assert.Contains((count * type.ElementSize()).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Fact]
    public void Decode_BytesEndingInsideALengthPrefix_ThrowsInvalidArgument()
    {
        byte[] raw = [.. TensorSamples.RawStrings("ab"), 1, 0];

        InferenceAssert.Invalid(() => RawContentsCodec.Decode("s", DataType.Bytes, [2], 2, raw));
    }

    [Fact]
    public void Decode_BytesLengthClaimingMoreThanRemains_ThrowsInvalidArgument()
    {
        byte[] raw = [10, 0, 0, 0, (byte)'a', (byte)'b', (byte)'c'];

        var e = InferenceAssert.Invalid(() => RawContentsCodec.Decode("s", DataType.Bytes, [1], 1, raw));
        Assert.Contains("10", e.Message);
    }

    [Fact]
    public void Decode_BytesNegativeLength_ThrowsInvalidArgument()
    {
        byte[] raw = [0xFF, 0xFF, 0xFF, 0xFF, (byte)'a'];

        InferenceAssert.Invalid(() => RawContentsCodec.Decode("s", DataType.Bytes, [1], 1, raw));
    }

    [Fact]
    public void Decode_BytesWithTrailingBytes_ThrowsInvalidArgument()
    {
        byte[] raw = [.. TensorSamples.RawStrings("a", "b"), 0];

        var e = InferenceAssert.Invalid(() => RawContentsCodec.Decode("s", DataType.Bytes, [2], 2, raw));
        Assert.Contains("1 bytes past", e.Message);
    }

    [Fact]
    public void Decode_BytesWithFewerElementsThanShape_ThrowsInvalidArgument()
    {
        InferenceAssert.Invalid(() => RawContentsCodec.Decode("s", DataType.Bytes, [3], 3, TensorSamples.RawStrings("a", "b")));
    }

    [Fact]
    public void Decode_BytesOfEmptyStrings_ReturnsEmptyElements()
    {
        using var tensor = RawContentsCodec.Decode("s", DataType.Bytes, [2], 2, new byte[8]);

        Assert.Equal(["", ""], TensorAssert.StringsOf(tensor));
    }

    [Fact]
    public void SplitBytes_Elements_PointIntoTheRawBuffer()
    {
        var raw = TensorSamples.RawStrings("xy", "z");

        var elements = RawContentsCodec.SplitBytes("s", 2, raw);

        Assert.True(MemoryMarshal.TryGetArray(elements[1], out var segment));
        Assert.Same(raw, segment.Array);
        Assert.Equal(10, segment.Offset);
        Assert.Equal(1, segment.Count);
    }

    [Fact]
    public void Decode_BytesShapeFarLargerThanBody_FailsWithoutAllocatingPerDeclaredElement()
    {
        const long count = 16L * 1024 * 1024;
        var before = GC.GetAllocatedBytesForCurrentThread();

        InferenceAssert.Invalid(() => RawContentsCodec.Decode("s", DataType.Bytes, [count], count, new byte[4]));

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, "allocated per declared element before reading the body");
    }
}
