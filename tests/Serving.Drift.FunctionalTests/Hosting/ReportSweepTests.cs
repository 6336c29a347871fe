using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.Hosting;

/// <summary>
/// The report endpoint (and the monitor's other REST paths) asked, over HTTP/1.1 written by hand, with path-like,
/// percent-encoded, unknown, malformed and very long model names and versions, trailing and doubled slashes, other
/// casing, every method, query strings and Accept headers (seeded). The oracle: an answer (never a hang or a close),
/// never a 5xx; a 200 only to GET, with a JSON body (for the report); any 4xx with a JSON <c>{"error": ...}</c> (Kestrel's bare 400 only
/// for a target it refuses itself); a 405 never refuses the method it names in Allow, and a path that answers GET 200
/// answers another method 405 with Allow: GET, not 404.
/// </summary>
public sealed class ReportSweepTests
{
    private const int Seed = 11;

    private static readonly string[] Paths =
    [
        "/v2/drift/report", "/v2/drift/report/", "/v2/drift/report//", "//v2/drift/report", "/v2/drift//report",
        "/V2/DRIFT/REPORT", "/v2/Drift/Report/tabular/1", "/v2/drift/report/tabular/1", "/v2/drift/report/tabular/1/",
        "/v2/drift/report/tabular/1//", "/v2/drift/report/tabular//1", "/v2/drift/report/tabular/1/extra",
        "/v2/drift/report/digits/1", "/v2/drift/report/nosuch/1", "/v2/drift/report/tabular/99", "/v2/drift/report/tabular/2",
        "/v2/drift/report/tabular/0", "/v2/drift/report/tabular/01", "/v2/drift/report/tabular/-1", "/v2/drift/report/tabular/1.0",
        "/v2/drift/report/tabular/1e3", "/v2/drift/report/tabular/99999999999999999999999", "/v2/drift/report/tabular/latest",
        "/v2/drift/report/tab%75lar/1", "/v2/drift/report/a%2Fb/1", "/v2/drift/report/a%2fb/1", "/v2/drift/report/%2e%2e/1",
        "/v2/drift/report/../report/tabular/1", "/v2/drift/report/./tabular/1", "/v2/drift/report/a..b/1", "/v2/drift/report/.hidden/1",
        "/v2/drift/report/-dash/1", "/v2/drift/report/_under/1", "/v2/drift/report/%C3%A9t%C3%A9/1", "/v2/drift/report/%E2%80%AE/1",
        "/v2/drift/report/a%20b/1", "/v2/drift/report/a%09b/1", "/v2/drift/report/a%5Cb/1", "/v2/drift/report/~/1",
        "/v2/drift/report/tabular%00/1", "/v2/drift/report/%FF/1", "/v2/drift/report/%C0%AF/1",
        $"/v2/drift/report/{new string('m', 128)}/1", $"/v2/drift/report/{new string('m', 129)}/1", $"/v2/drift/report/{new string('m', 4000)}/1",
        $"/v2/drift/report/tabular/{new string('9', 19)}", "/v2/drift/report/tabular/1;v=2", "/v2/drift/report/tabular/1%3Fx",
        "/v2/drift", "/v2/drift/reports", "/v2/drift/report.json", "/v2/health/ready", "/v2/health/live//", "/metrics", "/metrics/",
        "/METRICS", "/",
    ];

    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "FOO"];

    private static readonly string[] Queries = ["", "?", "?x=1", "?model=../../etc/passwd", "?%ZZ", "?version=1&version=2", "?" + new string('q', 3000)];

    private static readonly string?[] Accepts = [null, "application/json", "text/html", "application/xml", "*/*", "application/json;q=0", "@@@"];

    [Fact]
    public async Task EveryPathMethodQueryAndAccept_ClearAnswer_NeverA5xx()
    {
        var random = new Random(Seed);
        await using var drift = await DriftServer.StartAsync();
        var problems = new List<string>();
        foreach (var path in Paths)
        {
            // GET first: what it answers decides what the other methods must.
            var get = await AskAsync(drift, "GET", path, random, problems);
            foreach (var method in Methods.Skip(1))
            {
                var answer = await AskAsync(drift, method, path, random, problems);
                if (get.Status == 200 && method != "HEAD" && (answer.Status != 405 || answer.Header("Allow")?.Split(", ").Contains("GET") != true))
                {
                    problems.Add($"{method} {Short(path)}: {answer.Status} (Allow '{answer.Header("Allow")}'), though GET answers 200 there: expected 405 allowing GET; {answer.Error}");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{problems.Count} of {Paths.Length * Methods.Length} requests (seed {Seed}):\n{string.Join('\n', problems)}");
    }

    /// <summary>
    /// What the sweep found: a path with a doubled trailing slash was told to use the method it used (the fallback trimmed
    /// every trailing slash, so it took /v2/drift/report// for the report); a path in other casing, which GET takes as
    /// routing does, was 404 to another method instead of 405; a tab in a model name was echoed into the error.
    /// </summary>
    [Theory]
    [InlineData("GET", "/v2/drift/report//", 404, "no endpoint at GET /v2/drift/report//: the drift monitor answers GET /v2/drift/report")]
    [InlineData("GET", "/v2/drift/report/tabular/1//", 404, "no endpoint at GET /v2/drift/report/tabular/1//: the drift monitor answers")]
    [InlineData("HEAD", "/v2/health/live//", 404, null)]
    [InlineData("POST", "/V2/DRIFT/REPORT", 405, "POST is not allowed on /V2/DRIFT/REPORT: use GET")]
    [InlineData("DELETE", "/v2/Drift/Report/tabular/1", 405, "DELETE is not allowed on /v2/Drift/Report/tabular/1: use GET")]
    [InlineData("PUT", "/METRICS", 405, "PUT is not allowed on /METRICS: use GET")]
    [InlineData("GET", "/v2/drift/report/a%09b/1", 400, "'(invalid)' version '1' is not a model version")]
    public async Task FoundBySweep_AnsweredAsRoutingSeesThePath(string method, string target, int status, string? error)
    {
        await using var drift = await DriftServer.StartAsync();

        var answer = await RawExchange.SendAsync(
            drift.RestPort, RawExchange.Request(method, target, [("Host", "127.0.0.1"), ("Content-Length", "0")], []), RawExchange.Then.Wait, TimeSpan.FromSeconds(10));

        Assert.Equal(status, answer.Status);
        if (error is not null)
        {
            Assert.StartsWith(error, answer.Error, StringComparison.Ordinal);
        }
    }

    private static async Task<RawAnswer> AskAsync(DriftServer drift, string method, string path, Random random, List<string> problems)
    {
        var target = path + Queries[random.Next(Queries.Length)];
        var accept = Accepts[random.Next(Accepts.Length)];
        var headers = new List<(string, string)> { ("Host", $"127.0.0.1:{drift.RestPort}"), ("Content-Length", "0") };
        if (accept is not null)
        {
            headers.Add(("Accept", accept));
        }

        var answer = await RawExchange.SendAsync(drift.RestPort, RawExchange.Request(method, target, headers, []), RawExchange.Then.Wait, TimeSpan.FromSeconds(10));
        var problem = Problem(method, path, answer);
        if (problem is not null)
        {
            problems.Add($"{method} {Short(target)} (Accept {accept ?? "none"}): {answer.Status} {answer.Ending}: {problem}; body {Short(answer.Text)}");
        }

        return answer;
    }

    private static string? Problem(string method, string path, RawAnswer answer)
    {
        if (answer.Ending != "answered")
        {
            return "no answer";
        }

        if (answer.Status >= 500)
        {
            return "a 5xx";
        }

        if (method == "HEAD")
        {
            return null; // no body to check
        }

        if (answer.Status == 200)
        {
            return method != "GET" ? "200 to another method than GET" : path.Contains("/drift", StringComparison.OrdinalIgnoreCase) ? JsonProblem(answer) : null;
        }

        if (answer.Status == 400 && answer.Body.Length == 0 && KestrelRefuses(path))
        {
            return null;
        }

        if (answer.Error is not { Length: > 0 } error)
        {
            return "no JSON error";
        }

        if (error.AsSpan().ContainsAnyInRange('\0', '\u001f'))
        {
            return "control characters in the error";
        }

        return answer.Status == 405 && (answer.Header("Allow") ?? "").Split(", ").Contains(method) ? $"405 that allows {method}" : null;
    }

    // A NUL, or bytes that are not UTF-8, in the path: Kestrel answers its own 400 before any endpoint sees the request.
    private static bool KestrelRefuses(string path) =>
        path.Contains("%00", StringComparison.Ordinal) || path.Contains("%FF", StringComparison.Ordinal) || path.Contains("%C0%AF", StringComparison.Ordinal);

    private static string? JsonProblem(RawAnswer answer)
    {
        if (answer.Header("Content-Type")?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            return $"200 as {answer.Header("Content-Type")}";
        }

        try
        {
            using var json = JsonDocument.Parse(answer.Body);
            return json.RootElement.ValueKind == JsonValueKind.Object ? null : "200 with JSON that is not an object";
        }
        catch (JsonException e)
        {
            return $"200 with broken JSON: {e.Message}";
        }
    }

    private static string Short(string text) => text.Length <= 160 ? text : text[..160] + "…";
}
