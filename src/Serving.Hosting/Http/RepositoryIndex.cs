using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Serving.Protocol.Inference;

namespace Serving.Hosting.Http;

/// <summary>
/// Triton's repository index, <c>POST /v2/repository/index</c>, as the worker and the gateway both answer it: an optional
/// body <c>{"ready": true|false}</c> (true lists only versions ready for inference), and an array of
/// <c>{name, version, state, reason}</c>.
/// </summary>
public static class RepositoryIndex
{
    /// <summary>The largest request body read: the request holds one optional flag.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    /// <summary>The state of a version that can be inferred on.</summary>
    public const string Ready = "READY";

    /// <summary>One line of the index: a version (or a model with none to serve, without a version) and its state.</summary>
    public sealed record Entry(string Name, string? Version, string State, string? Reason = null);

    /// <summary>The outcome of reading a request: the <c>ready</c> flag, or the status and message to answer with.</summary>
    public readonly record struct Request(bool ReadyOnly, int Status = StatusCodes.Status200OK, string? Error = null);

    /// <summary>Reads the optional body. An empty body (or only whitespace) asks for every version, as Triton's clients send it.</summary>
    public static async Task<Request> ReadAsync(HttpRequest request, CancellationToken cancellationToken) =>
        await SmallBody.ReadAsync(request, MaxRequestBytes, cancellationToken).ConfigureAwait(false) is { } body ? Parse(body) : TooLarge();

    /// <summary>Parses a body already read (see <see cref="ReadAsync"/>).</summary>
    public static Request Parse(ReadOnlySpan<byte> body)
    {
        if (body.Trim(" \t\r\n"u8).IsEmpty)
        {
            return new Request(false);
        }

        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Invalid($"the repository index request must be a JSON object such as {{\"ready\": true}}, not {Kind(document.RootElement.ValueKind)}");
            }

            if (!document.RootElement.TryGetProperty("ready", out var ready))
            {
                return new Request(false);
            }

            return ready.ValueKind switch
            {
                JsonValueKind.True => new Request(true),
                JsonValueKind.False => new Request(false),
                _ => Invalid($"'ready' must be true or false, not {Kind(ready.ValueKind)}"),
            };
        }
        catch (JsonException e)
        {
            return Invalid($"the repository index request is not valid JSON: {e.Message}");
        }
    }

    /// <summary>The entries a request lists: all, or only the <see cref="Ready"/> ones.</summary>
    public static IEnumerable<Entry> Listed(IEnumerable<Entry> entries, bool readyOnly) => readyOnly ? entries.Where(e => e.State == Ready) : entries;

    /// <summary>The index as Triton's gRPC <c>RepositoryIndex</c> answers it.</summary>
    public static RepositoryIndexResponse ToMessage(IEnumerable<Entry> entries, bool readyOnly)
    {
        var response = new RepositoryIndexResponse();
        foreach (var entry in Listed(entries, readyOnly))
        {
            response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex { Name = entry.Name, Version = entry.Version ?? "", State = entry.State, Reason = entry.Reason ?? "" });
        }

        return response;
    }

    /// <summary>Writes <paramref name="entries"/> (only the <see cref="Ready"/> ones when <paramref name="readyOnly"/>) as the index.</summary>
    public static Task WriteAsync(HttpContext context, IEnumerable<Entry> entries, bool readyOnly) =>
        JsonResponse.WriteAsync(context, w =>
        {
            w.WriteStartArray();
            foreach (var entry in Listed(entries, readyOnly))
            {
                w.WriteStartObject();
                w.WriteString("name", entry.Name);
                if (entry.Version is { } version)
                {
                    w.WriteString("version", version);
                }

                w.WriteString("state", entry.State);
                if (entry.Reason is { } reason)
                {
                    w.WriteString("reason", reason);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    private static Request TooLarge() =>
        new(false, StatusCodes.Status413PayloadTooLarge, $"the repository index request is over {MaxRequestBytes / 1024} KiB; it takes at most {{\"ready\": true}}");

    private static Request Invalid(string message) => new(false, StatusCodes.Status400BadRequest, message);

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "an object",
    };
}
