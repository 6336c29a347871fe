using System.Buffers;
using System.Text.Json;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Rest;

/// <summary>Writes a REST infer response: JSON, with binary outputs appended after it when asked for.</summary>
public static class RestInferResponseWriter
{
    /// <summary>
    /// Writes <paramref name="response"/> to <paramref name="output"/> and returns the JSON length when
    /// any output went binary (the value of <c>Inference-Header-Content-Length</c>), else null.
    /// </summary>
    public static int? Write(IBufferWriter<byte> output, InferenceResponse response, InferenceRequest request)
    {
        var binary = new bool[response.Outputs.Count];
        var anyBinary = false;
        for (var i = 0; i < binary.Length; i++)
        {
            binary[i] = WantsBinary(request, response.Outputs[i].Name);
            anyBinary |= binary[i];
        }

        var counting = new CountingBufferWriter(output);
        using (var writer = new Utf8JsonWriter(counting))
        {
            WriteJson(writer, response, binary);
        }

        if (!anyBinary)
        {
            return null;
        }

        var headerLength = counting.Written;
        for (var i = 0; i < binary.Length; i++)
        {
            if (binary[i])
            {
                var tensor = response.Outputs[i];
                var length = RawContentsCodec.EncodedLength(tensor);
                var span = output.GetSpan(length);
                RawContentsCodec.Write(tensor, span);
                output.Advance(length);
            }
        }

        return headerLength;
    }

    private static bool WantsBinary(InferenceRequest request, string outputName)
    {
        foreach (var requested in request.Outputs)
        {
            if (requested.Name == outputName && requested.Binary is { } binary)
            {
                return binary;
            }
        }

        return request.BinaryOutputByDefault;
    }

    private static void WriteJson(Utf8JsonWriter writer, InferenceResponse response, bool[] binary)
    {
        writer.WriteStartObject();
        writer.WriteString("model_name", response.ModelName);
        writer.WriteString("model_version", response.ModelVersion);
        if (response.Id is { Length: > 0 } id)
        {
            writer.WriteString("id", id);
        }

        if (response.Parameters.Count > 0)
        {
            writer.WritePropertyName("parameters");
            WriteParameters(writer, response.Parameters);
        }

        writer.WriteStartArray("outputs");
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            RestTensorJson.Write(writer, response.Outputs[i], binary[i]);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Writes a parameter map as a JSON object.</summary>
    public static void WriteParameters(Utf8JsonWriter writer, IReadOnlyDictionary<string, object> parameters)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in parameters)
        {
            switch (value)
            {
                case bool b: writer.WriteBoolean(key, b); break;
                case long l: writer.WriteNumber(key, l); break;
                case int n: writer.WriteNumber(key, n); break;
                case ulong u: writer.WriteNumber(key, u); break;
                case double d: writer.WriteNumber(key, d); break;
                default: writer.WriteString(key, value.ToString()); break;
            }
        }

        writer.WriteEndObject();
    }

    private sealed class CountingBufferWriter(IBufferWriter<byte> inner) : IBufferWriter<byte>
    {
        public int Written { get; private set; }

        public void Advance(int count)
        {
            Written += count;
            inner.Advance(count);
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    }
}
