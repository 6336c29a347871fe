using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Serving.Hosting.Http;

/// <summary>Writes a small JSON body with its length known up front (no chunked encoding).</summary>
public static class JsonResponse
{
    /// <summary>Writes the body <paramref name="write"/> builds, with <paramref name="status"/>.</summary>
    public static Task WriteAsync(HttpContext context, Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK)
    {
        var buffer = Write(write);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        return context.Response.Body.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>The JSON <paramref name="write"/> builds, parsed (for a gRPC answer built from the REST one).</summary>
    public static JsonDocument Parse(Action<Utf8JsonWriter> write) => JsonDocument.Parse(Write(write).WrittenMemory);

    private static ArrayBufferWriter<byte> Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return buffer;
    }
}
