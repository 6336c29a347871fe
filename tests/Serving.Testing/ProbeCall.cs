using System.Net;

namespace Serving.Testing;

/// <summary>A probe's HEAD and GET of one path: both statuses, and the bytes the HEAD answer carried (none is right).</summary>
public static class ProbeCall
{
    public static async Task<(HttpStatusCode Head, HttpStatusCode Get, int HeadBodyBytes)> HeadAndGetAsync(HttpClient http, string path)
    {
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path)).ConfigureAwait(false);
        var bytes = (await head.Content.ReadAsByteArrayAsync().ConfigureAwait(false)).Length;
        using var get = await http.GetAsync(path).ConfigureAwait(false);
        return (head.StatusCode, get.StatusCode, bytes);
    }
}
