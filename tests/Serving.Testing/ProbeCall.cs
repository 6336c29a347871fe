using System.Net;

namespace Serving.Testing;

/// <summary>A probe's HEAD and GET of one path: both statuses, and the bytes the HEAD answer carried (none is right).</summary>
public static class ProbeCall
{
    /// <summary>
    /// The probe paths every role with a model view answers, and their status with the shared test models (a theory's
    /// <c>MemberData</c>: path, status): the worker and the gateway must answer them alike.
    /// </summary>
    public static IEnumerable<object[]> ModelProbePaths =>
    [
        ["/v2/health/live", HttpStatusCode.OK],
        ["/v2/health/ready", HttpStatusCode.OK],
        ["/v2/models/tabular/ready", HttpStatusCode.OK],
        ["/v2/models/tabular/versions/1/ready", HttpStatusCode.OK],
        ["/v2/models/nope/ready", HttpStatusCode.NotFound],
    ];

    public static async Task<(HttpStatusCode Head, HttpStatusCode Get, int HeadBodyBytes)> HeadAndGetAsync(HttpClient http, string path)
    {
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path)).ConfigureAwait(false);
        var bytes = (await head.Content.ReadAsByteArrayAsync().ConfigureAwait(false)).Length;
        using var get = await http.GetAsync(path).ConfigureAwait(false);
        return (head.StatusCode, get.StatusCode, bytes);
    }
}
