using System.Runtime.InteropServices;
using System.Text;
using Serving.Protocol.Errors;
using Serving.Protocol.Tensors;
using Serving.Worker.Runtime;
using Serving.Worker.Tests.TestSupport;
using static Serving.Worker.Tests.TestSupport.TestTensors;

namespace Serving.Worker.Tests.Runtime;

public sealed class OnnxModelRunnerTests
{
    [Fact]
    public void Run_FixedModel_DoublesInput()
    {
        using var runner = Runners.TestModel("fixed");

        var outputs = runner.Run([Floats("x", [4], 1.5f, -2f, 0f, 10f)], ["y"]);

        var y = Assert.Single(outputs);
        Assert.Equal(("y", DataType.FP32), (y.Name, y.DataType));
        Assert.Equal([4L], y.Shape);
        Assert.Equal([3f, -4f, 0f, 20f], y.As<float>().ToArray());
        y.Dispose();
    }

    [Fact]
    public void Run_RequestedOutputSubset_ReturnsOnlyThoseInRequestedOrder()
    {
        using var runner = Runners.TestModel("identity");
        var inputs = runner.Signature.Inputs.Select(Zeros).ToArray();
        inputs[runner.Signature.IndexOfInput("in_int32")] = InferTensor.Fixed("in_int32", DataType.Int32, [1, 2], MemoryMarshal.AsBytes<int>([7, -9]).ToArray());

        var outputs = runner.Run(inputs, ["out_int32", "out_bool"]);

        Assert.Equal(["out_int32", "out_bool"], outputs.Select(o => o.Name));
        Assert.Equal([7, -9], outputs[0].As<int>().ToArray());
        Assert.Equal(DataType.Bool, outputs[1].DataType);
        outputs.ForEach(o => o.Dispose());
    }

    [Fact]
    public void Run_BytesIdentity_RoundTripsStrings()
    {
        using var runner = Runners.TestModel("identity_bytes");
        string[] text = ["", "héllo", "a\0b"];
        var input = InferTensor.Strings("INPUT0", [1, 3], text.Select(t => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(t)).ToArray());

        var output = Assert.Single(runner.Run([input], ["OUTPUT0"]));

        Assert.Equal(DataType.Bytes, output.DataType);
        Assert.Equal([1L, 3L], output.Shape);
        Assert.Equal(text, output.Elements!.Select(e => Encoding.UTF8.GetString(e.Span)));
    }

    public static TheoryData<string, DataType> FixedSizeIdentities() => new()
    {
        { "identity_bool", DataType.Bool },
        { "identity_int8", DataType.Int8 },
        { "identity_int16", DataType.Int16 },
        { "identity_int32", DataType.Int32 },
        { "identity_int64", DataType.Int64 },
        { "identity_uint8", DataType.UInt8 },
        { "identity_uint16", DataType.UInt16 },
        { "identity_uint32", DataType.UInt32 },
        { "identity_uint64", DataType.UInt64 },
        { "identity_fp16", DataType.FP16 },
        { "identity_fp32", DataType.FP32 },
        { "identity_fp64", DataType.FP64 },
    };

    [Theory]
    [MemberData(nameof(FixedSizeIdentities))]
    public void Run_FixedSizeIdentity_ReturnsSameBytes(string model, DataType type)
    {
        using var runner = Runners.TestModel(model);
        var size = type.ElementSize();
        // Small byte values: valid BOOLs and finite floats of every width.
        var data = Enumerable.Range(0, 2 * 3 * size).Select(i => (byte)(type == DataType.Bool ? i % 2 : i % 64)).ToArray();

        var output = Assert.Single(runner.Run([InferTensor.Fixed("INPUT0", type, [2, 3], data)], ["OUTPUT0"]));

        Assert.Equal(type, output.DataType);
        Assert.Equal([2L, 3L], output.Shape);
        Assert.Equal(data, output.Data.ToArray());
        output.Dispose();
    }

    [Theory]
    [InlineData("identity")]
    [InlineData("identity_bool")]
    [InlineData("identity_bytes")]
    [InlineData("identity_fp16")]
    [InlineData("identity_fp32")]
    [InlineData("identity_fp64")]
    [InlineData("identity_int8")]
    [InlineData("identity_int16")]
    [InlineData("identity_int32")]
    [InlineData("identity_int64")]
    [InlineData("identity_uint8")]
    [InlineData("identity_uint16")]
    [InlineData("identity_uint32")]
    [InlineData("identity_uint64")]
    [InlineData("fixed")]
    public void WarmUp_TestModel_Succeeds(string model)
    {
        using var runner = Runners.TestModel(model);

        var e = Record.Exception(runner.WarmUp);

        Assert.Null(e);
    }

    [Fact]
    public void WarmUp_RepositoryModels_Succeed()
    {
        foreach (var (model, version) in new[] { ("tabular", 1), ("tabular", 2), ("digits", 1) })
        {
            using var runner = Runners.Create(Path.Combine(RepoPaths.Models, model), version);
            runner.WarmUp();
        }
    }

    [Fact]
    public void Run_ShapeTheGraphRejects_ThrowsInvalidArgument()
    {
        using var runner = Runners.TestModel("fixed");

        var e = Assert.Throws<InferenceException>(() => runner.Run([Floats("x", [5], 1, 2, 3, 4, 5)], ["y"]));

        Assert.Equal(InferenceErrorCode.InvalidArgument, e.Code);
        Assert.StartsWith("ONNX Runtime rejected the inputs", e.Message);
    }

    [Fact(Skip = BuildFlavor.SkipUnlessCpuOnly)]
    public void Provider_AutoOnCpuOnlyBuild_IsCpu()
    {
        using var runner = Runners.TestModel("fixed");

        Assert.Equal("cpu", runner.Provider);
    }


    private static InferTensor Zeros(TensorSignature signature)
    {
        long[] shape = [1, 2];
        return signature.DataType == DataType.Bytes
            ? InferTensor.Strings(signature.Name, shape, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty])
            : InferTensor.Fixed(signature.Name, signature.DataType, shape, new byte[2 * signature.DataType.ElementSize()]);
    }
}
