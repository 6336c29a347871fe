using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Errors;

namespace Serving.Worker.Endpoints;

/// <summary>Writes the protocol's REST error body, <c>{"error": "..."}</c>.</summary>
internal static class ErrorResults
{
    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (status == StatusCodes.Status429TooManyRequests || status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(message), ErrorBodyContext.Relaxed.ErrorBody);
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    public static Task WriteAsync(HttpContext context, InferenceException e) => WriteAsync(context, e.HttpStatus, e.Message);
}

/// <summary>The REST error body.</summary>
internal sealed record ErrorBody(string Error);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ErrorBodyContext : System.Text.Json.Serialization.JsonSerializerContext
{
    /// <summary>Quotes and non-ASCII stay readable (a JSON API body, never embedded in HTML).</summary>
    public static readonly ErrorBodyContext Relaxed = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
