using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Tests.Tensors;

public sealed class ShapesTests
{
    private const long Limit = 16L * 1024 * 1024;

    [Theory]
    [InlineData(new long[] { 2, 3, 4 }, 24)]
    [InlineData(new long[] { 7 }, 7)]
    [InlineData(new long[0], 1)]
    [InlineData(new long[] { 3, 0, 5 }, 0)]
    [InlineData(new long[] { 0, 1L << 40 }, 0)]
    [InlineData(new long[] { 4096, 4096 }, Limit)]
    public void CheckedElementCount_ValidShape_ReturnsProduct(long[] shape, long expected)
    {
        Assert.Equal(expected, Shapes.CheckedElementCount("x", shape, Limit));
    }

    [Theory]
    [InlineData(new long[] { -1 })]
    [InlineData(new long[] { 2, -1, 3 })]
    [InlineData(new long[] { 0, -5 })]
    [InlineData(new long[] { long.MinValue })]
    public void CheckedElementCount_NegativeDimension_ThrowsInvalidArgument(long[] shape)
    {
        var e = Assert.Throws<InferenceException>(() => Shapes.CheckedElementCount("pixels", shape, Limit));

        Assert.Equal(InferenceErrorCode.InvalidArgument, e.Code);
        Assert.Equal(400, e.HttpStatus);
        Assert.Contains("'pixels'", e.Message);
    }

    [Theory]
    [InlineData(new long[] { Limit + 1 })]
    [InlineData(new long[] { 4096, 4097 })]
    [InlineData(new long[] { 1L << 40, 1L << 40 })]
    [InlineData(new long[] { 1L << 32, 1L << 32, 1L << 32 })]
    [InlineData(new long[] { long.MaxValue, 2 })]
    public void CheckedElementCount_OverLimit_ThrowsResourceExhausted413(long[] shape)
    {
        var e = Assert.Throws<InferenceException>(() => Shapes.CheckedElementCount("pixels", shape, Limit));

        Assert.Equal(InferenceErrorCode.ResourceExhausted, e.Code);
        Assert.Equal(413, e.HttpStatus);
        Assert.Equal(Grpc.Core.StatusCode.ResourceExhausted, e.GrpcStatus);
        Assert.Contains("'pixels'", e.Message);
    }

    [Theory]
    [InlineData(new long[] { 1L << 40, 1L << 40 })]
    [InlineData(new long[] { 3037000500, 3037000500 })]
    [InlineData(new long[] { 1L << 62, 2, 2 })]
    public void CheckedElementCount_ProductOverflowsInt64_ThrowsResourceExhaustedNotOverflow(long[] shape)
    {
        var e = Assert.Throws<InferenceException>(() => Shapes.CheckedElementCount("x", shape, long.MaxValue));

        Assert.Equal(InferenceErrorCode.ResourceExhausted, e.Code);
    }

    [Fact]
    public void CheckedElementCount_HugeDimensionBeforeZeroDimension_ReturnsZero()
    {
        Assert.Equal(0, Shapes.CheckedElementCount("x", [1L << 40, 0], Limit));
    }

    [Theory]
    [InlineData(new long[] { long.MaxValue, 3, 0 })]
    [InlineData(new long[] { 1L << 40, 1L << 40, 0, 1L << 40 })]
    public void ElementCount_ZeroDimensionAfterOverflowingOnes_Zero_AsCheckedElementCountSays(long[] shape)
    {
        Assert.Equal(0, Shapes.CheckedElementCount("x", shape, Limit));
        Assert.Equal(0, Shapes.ElementCount(shape));
    }

    [Fact]
    public void ElementCount_ProductOverflowsInt64_ThrowsOverflow()
    {
        Assert.Throws<OverflowException>(() => Shapes.ElementCount([1L << 40, 1L << 40]));
    }

    [Theory]
    [InlineData(new long[] { 2, -1, 3 }, "[2, -1, 3]")]
    [InlineData(new long[] { 9223372036854775807 }, "[9223372036854775807]")]
    [InlineData(new long[0], "[]")]
    public void Format_Shape_WritesBracketedList(long[] shape, string expected)
    {
        Assert.Equal(expected, Shapes.Format(shape));
    }
}
