using System.Runtime.InteropServices;
using System.Text;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Worker.Inference;

namespace Serving.Worker.Tests.Inference;

/// <summary>Triton's classification extension: the top K of each row as "value:index" strings, largest first.</summary>
public sealed class ClassificationTests
{
    [Fact]
    public void TopClasses_BatchedFp32_PerRowLargestFirst_TiesByLowerIndex()
    {
        using var output = Tensor("p", DataType.FP32, [2, 4], new float[] { 0.1f, 0.7f, 0.05f, 0.15f, 0.3f, 0.3f, 0.4f, 0f });

        var top = Classification.TopClasses(output, 3, batched: true);

        Assert.Equal(DataType.Bytes, top.DataType);
        Assert.Equal([2L, 3L], top.Shape);
        Assert.Equal(["0.7:1", "0.15:3", "0.1:0", "0.4:2", "0.3:0", "0.3:1"], Texts(top));
    }

    [Fact]
    public void TopClasses_MoreThanThereAre_AllOfThem()
    {
        using var output = Tensor("p", DataType.FP32, [1, 2], new float[] { 0.25f, 0.75f });

        var top = Classification.TopClasses(output, 10, batched: true);

        Assert.Equal([1L, 2L], top.Shape);
        Assert.Equal(["0.75:1", "0.25:0"], Texts(top));
    }

    [Fact]
    public void TopClasses_NotBatched_WholeTensorIsOneRow_ShapeK()
    {
        using var output = Tensor("p", DataType.Int32, [2, 2], new[] { 3, -1, 9, 4 });

        var top = Classification.TopClasses(output, 2, batched: false);

        Assert.Equal([2L], top.Shape);
        Assert.Equal(["9:2", "4:3"], Texts(top));
    }

    [Fact]
    public void TopClasses_NaN_RanksBelowEveryNumber()
    {
        using var output = Tensor("p", DataType.FP64, [1, 3], new[] { double.NaN, -1e300, 2.5 });

        Assert.Equal(["2.5:2", "-1E+300:1", "NaN:0"], Texts(Classification.TopClasses(output, 3, batched: true)));
    }

    [Fact]
    public void TopClasses_IntegerTypes_PrintedExactly()
    {
        using var int64 = Tensor("p", DataType.Int64, [1, 2], new[] { long.MaxValue, long.MaxValue - 1 });
        using var uint64 = Tensor("p", DataType.UInt64, [1, 2], new[] { 1UL, ulong.MaxValue });
        using var uint8 = Tensor("p", DataType.UInt8, [1, 3], new byte[] { 7, 200, 9 });

        Assert.Equal(["9223372036854775807:0"], Texts(Classification.TopClasses(int64, 1, batched: true)));
        Assert.Equal(["18446744073709551615:1", "1:0"], Texts(Classification.TopClasses(uint64, 2, batched: true)));
        Assert.Equal(["200:1", "9:2"], Texts(Classification.TopClasses(uint8, 2, batched: true)));
    }

    [Fact]
    public void TopClasses_Fp16_ReadAndPrintedAsItsValue()
    {
        using var output = Tensor("p", DataType.FP16, [1, 3], new[] { (Half)0.5f, (Half)(-2f), (Half)1.25f });

        Assert.Equal(["1.25:2", "0.5:0"], Texts(Classification.TopClasses(output, 2, batched: true)));
    }

    [Fact]
    public void TopClasses_Labels_AppendedWhereTheFileHasALine()
    {
        using var output = Tensor("p", DataType.FP32, [1, 3], new[] { 0.2f, 0.5f, 0.3f });

        var top = Classification.TopClasses(output, 3, batched: true, labels: ["cat", "dog"]);

        Assert.Equal(["0.5:1:dog", "0.3:2", "0.2:0:cat"], Texts(top));
    }

    [Fact]
    public void TopClasses_Bytes_Refused()
    {
        using var output = InferTensor.Strings("s", [1, 1], [Encoding.UTF8.GetBytes("x")]);

        var e = Assert.Throws<InferenceException>(() => Classification.TopClasses(output, 1, batched: true));

        Assert.Equal(InferenceErrorCode.InvalidArgument, e.Code);
        Assert.Contains("classification needs a numeric output", e.Message, StringComparison.Ordinal);
    }

    private static InferTensor Tensor<T>(string name, DataType type, long[] shape, T[] values)
        where T : unmanaged =>
        InferTensor.Fixed(name, type, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    private static string[] Texts(InferTensor tensor) => [.. tensor.Elements!.Select(e => Encoding.UTF8.GetString(e.Span))];
}
