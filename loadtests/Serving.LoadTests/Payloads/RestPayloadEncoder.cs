using System.Buffers;
using System.Text.Json;
using Serving.Protocol.Rest;
using Serving.Protocol.Tensors;

namespace Serving.LoadTests.Payloads;

/// <summary>Encodes the payload once as a REST infer body: JSON <c>data</c> arrays, or Triton's binary tensor extension.</summary>
internal static class RestPayloadEncoder
{
    /// <summary>A plain JSON body.</summary>
    public static RestBody EncodeJson(InferPayload payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteHeader(writer, payload, binary: false);
        }

        return new RestBody(buffer.WrittenSpan.ToArray(), null);
    }

    /// <summary>A JSON header with <c>binary_data_size</c> inputs, then the raw tensors; asks for binary outputs as Triton's client does.</summary>
    public static RestBody EncodeBinary(InferPayload payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteHeader(writer, payload, binary: true);
        }

        var headerLength = buffer.WrittenCount;
        foreach (var input in payload.Inputs)
        {
            var length = RawContentsCodec.EncodedLength(input);
            RawContentsCodec.Write(input, buffer.GetSpan(length));
            buffer.Advance(length);
        }

        return new RestBody(buffer.WrittenSpan.ToArray(), headerLength);
    }

    private static void WriteHeader(Utf8JsonWriter writer, InferPayload payload, bool binary)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("inputs");
        foreach (var input in payload.Inputs)
        {
            RestTensorJson.Write(writer, input, binary);
        }

        writer.WriteEndArray();
        if (binary)
        {
            writer.WriteStartObject("parameters");
            writer.WriteBoolean("binary_data_output", true);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }
}
