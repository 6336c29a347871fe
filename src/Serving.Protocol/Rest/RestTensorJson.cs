using System.Text.Json;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Rest;

/// <summary>One tensor of a REST infer body, request or answer: name, datatype, shape, and its data or its binary size.</summary>
public static class RestTensorJson
{
    /// <summary>
    /// Writes the tensor's object: its elements as <c>data</c>, or with <paramref name="binary"/> its
    /// <c>binary_data_size</c> (Triton's binary tensor extension), its bytes going after the JSON part.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, InferTensor tensor, bool binary)
    {
        writer.WriteStartObject();
        writer.WriteString("name", tensor.Name);
        writer.WriteString("datatype", tensor.DataType.ToWire());
        writer.WriteStartArray("shape");
        foreach (var dim in tensor.Shape)
        {
            writer.WriteNumberValue(dim);
        }

        writer.WriteEndArray();
        if (binary)
        {
            writer.WriteStartObject("parameters");
            writer.WriteNumber("binary_data_size", RawContentsCodec.EncodedLength(tensor));
            writer.WriteEndObject();
        }
        else
        {
            writer.WritePropertyName("data");
            JsonContentsCodec.Write(writer, tensor);
        }

        writer.WriteEndObject();
    }
}
