using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Serving.Hosting.Http;

/// <summary>The protocol's REST error body, <c>{"error": "..."}</c>, the same from the worker and the gateway.</summary>
public static class ErrorJson
{
    // Quotes and non-ASCII stay readable: a JSON API body, never embedded in HTML.
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The UTF-8 body for <paramref name="message"/>.</summary>
    public static byte[] Body(string message)
    {
        var buffer = new ArrayBufferWriter<byte>(message.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, Relaxed))
        {
            writer.WriteStartObject();
            writer.WriteString("error", message);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
