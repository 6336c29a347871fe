using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Serving.Benchmarks.Support;
using Serving.Protocol.Inference;
using Serving.Protocol.Tensors;

namespace Serving.Benchmarks.Protocol;

/// <summary>The three tensor content forms of the protocol, decode and encode, on a [64, 30] FP32 tensor.</summary>
[MemoryDiagnoser]
public class TensorCodecBenchmarks
{
    private static readonly long[] Shape = [64, Samples.Features];
    private readonly ArrayBufferWriter<byte> _json = new(64 * 1024);
    private InferTensor _tensor = null!;
    private JsonDocument _jsonData = null!;
    private ReadOnlyMemory<byte> _raw;
    private InferTensorContents _typed = null!;
    private byte[] _rawOut = null!;
    private Utf8JsonWriter _writer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tensor = Samples.Fp32("input", 64, Samples.Features);
        _raw = _tensor.Data;
        _typed = TypedContentsCodec.Encode(_tensor);
        _rawOut = new byte[RawContentsCodec.EncodedLength(_tensor)];
        _writer = new Utf8JsonWriter(_json);
        JsonContentsCodec.Write(_writer, _tensor);
        _writer.Flush();
        _jsonData = JsonDocument.Parse(_json.WrittenMemory);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _jsonData.Dispose();
        _writer.Dispose();
    }

    /// <summary>REST JSON <c>data</c> array to tensor (the JSON is already parsed, as the request reader does once per body).</summary>
    [Benchmark]
    public long JsonDecode()
    {
        using var tensor = JsonContentsCodec.Decode("input", DataType.FP32, Shape, 64 * Samples.Features, _jsonData.RootElement);
        return tensor.Data.Length;
    }

    /// <summary>Tensor to REST JSON <c>data</c> array.</summary>
    [Benchmark]
    public long JsonEncode()
    {
        _json.ResetWrittenCount();
        _writer.Reset(_json);
        JsonContentsCodec.Write(_writer, _tensor);
        _writer.Flush();
        return _json.WrittenCount;
    }

    /// <summary>gRPC <c>raw_input_contents</c> / REST binary extension to tensor.</summary>
    [Benchmark]
    public long RawDecode()
    {
        using var tensor = RawContentsCodec.Decode("input", DataType.FP32, Shape, 64 * Samples.Features, _raw);
        return tensor.Data.Length;
    }

    /// <summary>Tensor to raw bytes.</summary>
    [Benchmark]
    public int RawEncode()
    {
        RawContentsCodec.Write(_tensor, _rawOut);
        return _rawOut.Length;
    }

    /// <summary>gRPC typed <c>fp32_contents</c> to tensor.</summary>
    [Benchmark]
    public long TypedDecode()
    {
        using var tensor = TypedContentsCodec.Decode("input", DataType.FP32, Shape, 64 * Samples.Features, _typed);
        return tensor.Data.Length;
    }

    /// <summary>Tensor to gRPC typed <c>fp32_contents</c>.</summary>
    [Benchmark]
    public int TypedEncode() => TypedContentsCodec.Encode(_tensor).Fp32Contents.Count;
}
