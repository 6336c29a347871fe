using System.Buffers;
using System.Text;
using System.Text.Json;
using Serving.Protocol.Tensors;

namespace Serving.Protocol.Tests.TestSupport;

/// <summary>The REST <c>data</c> array of a tensor, written and parsed through <see cref="JsonContentsCodec"/>.</summary>
internal static class JsonData
{
    public static string Write(InferTensor tensor)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JsonContentsCodec.Write(writer, tensor);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static InferTensor Decode(DataType type, long[] shape, string json, string name = "x")
    {
        using var document = JsonDocument.Parse(json);
        return JsonContentsCodec.Decode(name, type, shape, Shapes.ElementCount(shape), document.RootElement);
    }
}
