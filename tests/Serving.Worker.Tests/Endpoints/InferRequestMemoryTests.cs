using System.Buffers;
using Google.Protobuf;
using Serving.Protocol.Inference;
using Serving.Worker.Endpoints;

namespace Serving.Worker.Tests.Endpoints;

/// <summary>The decoded-size estimate of a ModelInferRequest, read from its wire bytes.</summary>
public sealed class InferRequestMemoryTests
{
    private static ModelInferRequest.Types.InferInputTensor Input(string name, string datatype, params long[] shape)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype, Contents = new() };
        input.Shape.AddRange(shape);
        return input;
    }

    private static long Estimate(ModelInferRequest request) => InferRequestMemory.Estimate(new ReadOnlySequence<byte>(request.ToByteArray()));

    [Fact]
    public void RawContents_TakeAboutTheirBytes()
    {
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        request.Inputs.Add(Input("input", "FP32", 1000, 30));
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[120_000]));
        var bytes = request.CalculateSize();

        Assert.InRange(Estimate(request), 120_000, 2 * bytes);
    }

    [Fact]
    public void PackedFloats_TakeAboutTheirBytes()
    {
        var request = new ModelInferRequest { ModelName = "tabular" };
        var input = Input("input", "FP32", 1000, 30);
        input.Contents.Fp32Contents.AddRange(Enumerable.Repeat(1.5f, 30_000));
        request.Inputs.Add(input);

        Assert.InRange(Estimate(request), 120_000, 2 * request.CalculateSize());
    }

    [Fact]
    public void OneByteBytesElements_AnObjectEach_Over20TimesTheirBytes()
    {
        var request = new ModelInferRequest { ModelName = "m" };
        var input = Input("text", "BYTES", 100_000);
        input.Contents.BytesContents.AddRange(Enumerable.Repeat(ByteString.CopyFrom((byte)'a'), 100_000));
        request.Inputs.Add(input);

        Assert.True(Estimate(request) >= 100_000 * 64, $"{Estimate(request)} for {request.CalculateSize()} bytes");
        Assert.True(Estimate(request) > 20L * request.CalculateSize());
    }

    [Fact]
    public void PackedZeroInt64s_OneByteEach_CountedAsListElements()
    {
        var request = new ModelInferRequest { ModelName = "m" };
        var input = Input("ids", "INT64", 200_000);
        input.Contents.Int64Contents.AddRange(new long[200_000]);
        request.Inputs.Add(input);

        Assert.True(Estimate(request) >= 200_000 * 16, $"{Estimate(request)}");
    }

    [Fact]
    public void ManyEmptyInputsAndOutputs_AnObjectEach()
    {
        var request = new ModelInferRequest { ModelName = "m" };
        for (var i = 0; i < 50_000; i++)
        {
            request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor());
            request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor());
        }

        Assert.True(Estimate(request) >= 100_000 * 100, $"{Estimate(request)} for {request.CalculateSize()} bytes");
    }

    [Fact]
    public void SplitIntoSegments_TheSameEstimate()
    {
        var request = new ModelInferRequest { ModelName = "m" };
        var input = Input("ids", "INT64", 5_000);
        input.Contents.Int64Contents.AddRange(Enumerable.Range(0, 5_000).Select(i => (long)i * 1000));
        input.Contents.BytesContents.AddRange(Enumerable.Range(0, 500).Select(i => ByteString.CopyFromUtf8($"v{i}")));
        request.Inputs.Add(input);
        var bytes = request.ToByteArray();

        Assert.Equal(InferRequestMemory.Estimate(new ReadOnlySequence<byte>(bytes)), InferRequestMemory.Estimate(Serving.Testing.ByteSequences.Segmented(bytes, () => 7)));
    }

    [Theory]
    [InlineData(new byte[] { 0x2A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })] // inputs whose length runs past the end
    [InlineData(new byte[] { 0x2A, 0x02, 0x2A, 0x05 })]             // contents longer than their input
    [InlineData(new byte[] { 0x80, 0x80, 0x80 })]                   // a tag cut off
    [InlineData(new byte[] { 0x0B, 0x00 })]                         // a group
    [InlineData(new byte[] { 0x00 })]                               // field 0
    public void Malformed_EndsTheWalk_NeverThrows(byte[] bytes) =>
        Assert.InRange(InferRequestMemory.Estimate(new ReadOnlySequence<byte>(bytes)), 0, 1000);
}
