using System.Net;
using System.Text;
using System.Text.Json;

namespace Serving.Testing;

/// <summary>Triton's <c>POST /v2/repository/index</c>, with an optional body: the status, and the rows or the <c>error</c> message.</summary>
public static class RepositoryIndexCall
{
    /// <summary>Bodies the index must refuse, with the status and a piece of the message: the same at the worker and the gateway.</summary>
    public static IEnumerable<object[]> BadBodies() =>
    [
        ["""{"ready": """, HttpStatusCode.BadRequest, "not valid JSON"],
        ["[]", HttpStatusCode.BadRequest, "must be a JSON object such as {\"ready\": true}, not an array"],
        ["true", HttpStatusCode.BadRequest, "not a boolean"],
        ["""{"ready": "yes"}""", HttpStatusCode.BadRequest, "'ready' must be true or false, not a string"],
        ["""{"ready": 1}""", HttpStatusCode.BadRequest, "'ready' must be true or false, not a number"],
        ["""{"ready": true, "ready": false}""", HttpStatusCode.BadRequest, "not valid JSON"],
        ["{\"ready\": true, \"pad\": \"" + new string('x', 70_000) + "\"}", HttpStatusCode.RequestEntityTooLarge, "over 64 KiB"],
    ];

    /// <summary>Posts <paramref name="body"/> (none when null) and reads the answer.</summary>
    public static async Task<(HttpStatusCode Status, (string Name, string? Version, string State)[] Rows, string? Error)> PostAsync(HttpClient http, string? body)
    {
        using var content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v2/repository/index", content).ConfigureAwait(false);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            return (response.StatusCode, [], root.TryGetProperty("error", out var error) ? error.GetString() : root.GetRawText());
        }

        var rows = root.EnumerateArray()
            .Select(r => (r.GetProperty("name").GetString()!, r.TryGetProperty("version", out var v) ? v.GetString() : null, r.GetProperty("state").GetString()!))
            .ToArray();
        return (response.StatusCode, rows, null);
    }
}
