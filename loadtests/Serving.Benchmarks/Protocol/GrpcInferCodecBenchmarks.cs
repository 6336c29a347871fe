using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Serving.Benchmarks.Support;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;

namespace Serving.Benchmarks.Protocol;

/// <summary>gRPC ModelInfer: request message to the common form, and response to message (raw contents, as Triton's clients send).</summary>
[MemoryDiagnoser]
public class GrpcInferCodecBenchmarks
{
    private ModelInferRequest _request = null!;
    private InferenceResponse _response = null!;

    /// <summary>Rows per request.</summary>
    [Params(1, 64)]
    public int Rows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var input = Samples.Fp32("input", Rows, Samples.Features);
        _request = new ModelInferRequest { ModelName = "tabular" };
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        tensor.Shape.AddRange(input.Shape);
        _request.Inputs.Add(tensor);
        _request.RawInputContents.Add(ByteString.CopyFrom(input.Data.Span));

        // Parse from bytes once so the message holds what the server's marshaller would hand the codec.
        _request = ModelInferRequest.Parser.ParseFrom(_request.ToByteArray());
        _response = new InferenceResponse("tabular", "2", null, [Samples.Fp32("probabilities", Rows, 2)]);
    }

    /// <summary><see cref="GrpcInferCodec.Decode"/>.</summary>
    [Benchmark]
    public int Decode()
    {
        using var request = GrpcInferCodec.Decode(_request, long.MaxValue);
        return request.Inputs.Count;
    }

    /// <summary><see cref="GrpcInferCodec.Encode"/> with raw output contents.</summary>
    [Benchmark]
    public int Encode() => GrpcInferCodec.Encode(_response, raw: true).RawOutputContents.Count;
}
