using System.Net;
using System.Text.Json;

namespace Serving.Testing;

/// <summary>A bodiless REST call and what came back: status, the Allow header, and the <c>error</c> message.</summary>
public static class RestCall
{
    public static async Task<(HttpStatusCode Status, string[] Allow, string? Error)> SendAsync(HttpClient http, string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        using var response = await http.SendAsync(request).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        var error = body.Length > 0 && JsonDocument.Parse(body).RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("error", out var e)
            ? e.GetString()
            : null;
        return (response.StatusCode, [.. response.Content.Headers.Allow], error);
    }
}
