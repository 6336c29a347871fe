using System.Buffers;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Serving.Benchmarks.Support;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;

namespace Serving.Benchmarks.Protocol;

/// <summary>
/// gRPC ModelInfer: request message to the common form, and the response to its wire bytes (raw contents, as Triton's
/// clients ask): through the generated message (<see cref="EncodeAndSerialize"/>) and written straight from the
/// response (<see cref="WriteRaw"/>, what the worker does).
/// </summary>
[MemoryDiagnoser]
public class GrpcInferCodecBenchmarks
{
    private ModelInferRequest _request = null!;
    private byte[] _requestBytes = null!;
    private InferenceResponse _response = null!;
    private readonly ArrayBufferWriter<byte> _wire = new(1 << 16);

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
        _requestBytes = _request.ToByteArray();
        _request = ModelInferRequest.Parser.ParseFrom(_requestBytes);
        _response = new InferenceResponse("tabular", "2", null, [Samples.Fp32("probabilities", Rows, 2)]);
    }

    /// <summary><see cref="GrpcInferCodec.Decode"/>.</summary>
    [Benchmark]
    public int Decode()
    {
        using var request = GrpcInferCodec.Decode(_request, long.MaxValue);
        return request.Inputs.Count;
    }

    /// <summary>The request's wire bytes parsed (what the worker's marshaller does), then <see cref="GrpcInferCodec.Decode"/>.</summary>
    [Benchmark]
    public int ParseAndDecode()
    {
        using var request = GrpcInferCodec.Decode(ModelInferRequest.Parser.ParseFrom(_requestBytes), long.MaxValue);
        return request.Inputs.Count;
    }

    /// <summary><see cref="GrpcInferCodec.Encode"/> with raw output contents.</summary>
    [Benchmark]
    public int Encode() => GrpcInferCodec.Encode(_response, raw: true).RawOutputContents.Count;

    /// <summary>The response to wire bytes through the generated message: <see cref="GrpcInferCodec.Encode"/>, then its serializer.</summary>
    [Benchmark(Baseline = true)]
    public int EncodeAndSerialize()
    {
        var message = GrpcInferCodec.Encode(_response, raw: true);
        _wire.ResetWrittenCount();
        message.WriteTo(_wire);
        return _wire.WrittenCount + message.CalculateSize();
    }

    /// <summary>The same bytes written straight from the response by <see cref="GrpcInferResponseWriter"/>.</summary>
    [Benchmark]
    public int WriteRaw()
    {
        var size = GrpcInferResponseWriter.Size(_response);
        _wire.ResetWrittenCount();
        GrpcInferResponseWriter.Write(_response, _wire);
        return _wire.WrittenCount + size;
    }
}
