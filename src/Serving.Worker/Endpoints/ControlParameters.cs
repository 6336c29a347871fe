using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Serving.Hosting.Http;

namespace Serving.Worker.Endpoints;

/// <summary>
/// The optional body of Triton's REST load / unload (<c>{"parameters": {...}}</c>): how many parameters it carries, so
/// a config override or uploaded files are refused instead of silently ignored.
/// </summary>
internal static class ControlParameters
{
    private const int MaxBytes = 64 * 1024;

    public readonly record struct Result(int Count, string? Error = null);

    public static async Task<Result> ReadAsync(HttpRequest request, CancellationToken cancellationToken) =>
        await SmallBody.ReadAsync(request, MaxBytes, cancellationToken).ConfigureAwait(false) is { } body
            ? Parse(body)
            : new Result(0, $"the request body is over {MaxBytes / 1024} KiB; load and unload take no parameters");

    internal static Result Parse(ReadOnlySpan<byte> body)
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return new Result(0);
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new Result(0, "the request body must be a JSON object");
            }

            return !root.TryGetProperty("parameters", out var parameters) || parameters.ValueKind == JsonValueKind.Null ? new Result(0)
                : parameters.ValueKind == JsonValueKind.Object ? new Result(parameters.EnumerateObject().Count())
                : new Result(0, "'parameters' must be an object");
        }
        catch (JsonException e)
        {
            return new Result(0, $"the request body is not valid JSON: {e.Message}");
        }
    }
}
