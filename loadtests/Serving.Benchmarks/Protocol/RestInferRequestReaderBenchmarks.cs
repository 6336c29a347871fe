using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Serving.Benchmarks.Support;
using Serving.Protocol.Messages;
using Serving.Protocol.Rest;
using Serving.Protocol.Tensors;

namespace Serving.Benchmarks.Protocol;

/// <summary><see cref="RestInferRequestReader.Read"/> of a [64, 30] FP32 request body, plain JSON and with the binary tensor extension.</summary>
[MemoryDiagnoser]
public class RestInferRequestReaderBenchmarks
{
    private byte[] _body = null!;
    private int? _headerLength;

    /// <summary><c>json</c>: <c>data</c> arrays; <c>binary</c>: a JSON header then raw bytes.</summary>
    [Params("json", "binary")]
    public string Form { get; set; } = "json";

    [GlobalSetup]
    public void Setup()
    {
        var tensor = Samples.Fp32("input", 64, Samples.Features);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("inputs");
            writer.WriteStartObject();
            writer.WriteString("name", "input");
            writer.WriteString("datatype", "FP32");
            writer.WriteStartArray("shape");
            writer.WriteNumberValue(64);
            writer.WriteNumberValue(Samples.Features);
            writer.WriteEndArray();
            if (Form == "binary")
            {
                writer.WriteStartObject("parameters");
                writer.WriteNumber("binary_data_size", tensor.Data.Length);
                writer.WriteEndObject();
            }
            else
            {
                writer.WritePropertyName("data");
                JsonContentsCodec.Write(writer, tensor);
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        _headerLength = Form == "binary" ? buffer.WrittenCount : null;
        _body = Form == "binary" ? [.. buffer.WrittenSpan, .. tensor.Data.Span] : buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses the body into the common request form.</summary>
    [Benchmark]
    public int Read()
    {
        using InferenceRequest request = RestInferRequestReader.Read(_body, _headerLength, "tabular", string.Empty, long.MaxValue, null);
        return request.Inputs.Count;
    }
}
