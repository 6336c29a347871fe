using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Rest;

namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>Writes OIP REST answers: infer results (JSON or binary), JSON documents and <c>{"error": ...}</c>.</summary>
internal static class RestResponses
{
    /// <summary>The infer response, with Triton's header when outputs went binary.</summary>
    public static async Task WriteInferAsync(HttpContext context, InferenceResponse response, InferenceRequest request)
    {
        using var buffer = new PooledBufferWriter(4096);
        var headerLength = RestInferResponseWriter.Write(buffer, response, request);
        var http = context.Response;
        http.StatusCode = StatusCodes.Status200OK;
        http.ContentType = headerLength is null ? "application/json" : "application/octet-stream";
        if (headerLength is { } length)
        {
            http.Headers["Inference-Header-Content-Length"] = length.ToString(CultureInfo.InvariantCulture);
        }

        http.ContentLength = buffer.WrittenCount;
        await http.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary>A JSON document written by <paramref name="write"/>.</summary>
    public static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        using var buffer = new PooledBufferWriter(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary>The protocol's error body with the error's HTTP status.</summary>
    public static Task WriteErrorAsync(HttpContext context, InferenceException error) =>
        WriteJsonAsync(context, error.HttpStatus, w =>
        {
            w.WriteStartObject();
            w.WriteString("error", error.Message);
            w.WriteEndObject();
        });
}
