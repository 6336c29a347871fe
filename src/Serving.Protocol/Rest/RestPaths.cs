namespace Serving.Protocol.Rest;

/// <summary>The Open Inference Protocol's REST paths (and <c>/metrics</c>) and the one method each takes, for answering a wrong method with 405.</summary>
public static class RestPaths
{
    /// <summary>
    /// The pattern of the fallback endpoint: every path. MapFallback's own, <c>{*path:nonfile}</c>, leaves out a path whose
    /// last segment has a dot (<c>/favicon.ico</c>, <c>POST /v2/models/my.model</c>), which then got ASP.NET's bare 404.
    /// </summary>
    public const string AnyPath = "{**path}";

    /// <summary>What health and readiness paths take: HEAD as well as GET, for probes that ask with HEAD.</summary>
    public const string ProbeMethods = "GET, HEAD";

    /// <summary>
    /// The method <paramref name="path"/> takes when it is one of the protocol's paths (<c>GET, HEAD</c> for health and
    /// ready, <c>GET</c> for server and model metadata, config and stats; <c>POST</c> for infer, the repository index, load and unload) or the Prometheus
    /// scrape path <c>/metrics</c> (<c>GET</c>), else null.
    /// </summary>
    public static string? MethodFor(string? path) => Segments(path) switch
    {
        ["metrics"] => "GET",
        ["v2"] => "GET",
        ["v2", "health", "live" or "ready"] => ProbeMethods,
        ["v2", "models", _] or ["v2", "models", _, "versions", _] => "GET",
        ["v2", "models", _, "ready"] or ["v2", "models", _, "versions", _, "ready"] => ProbeMethods,
        ["v2", "models", _, "config"] or ["v2", "models", _, "versions", _, "config"] => "GET",
        ["v2", "models", _, "stats"] or ["v2", "models", _, "versions", _, "stats"] => "GET",
        ["v2", "models", _, "infer"] or ["v2", "models", _, "versions", _, "infer"] => "POST",
        ["v2", "repository", "index"] => "POST",
        ["v2", "repository", "models", _, "load" or "unload"] => "POST",
        _ => null,
    };

    /// <summary>
    /// The segments of <paramref name="path"/> as routing matches them: one leading slash and at most one trailing one, no
    /// empty segment (<c>//v2/health/ready</c>, <c>/metrics//</c> and <c>/v2//health</c> are no endpoint's path); else null.
    /// </summary>
    public static string[]? Segments(string? path)
    {
        // Trimming every slash at both ends took "//v2/health/ready" for a path routing had not matched, and told the
        // caller "GET is not allowed on //v2/health/ready: use GET, HEAD".
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.StartsWith("//", StringComparison.Ordinal))
        {
            return null;
        }

        var segments = path[1..(path.Length > 1 && path[^1] == '/' ? ^1 : ^0)].Split('/');
        return Array.Exists(segments, s => s.Length == 0) ? null : segments;
    }

    /// <summary>
    /// The answer for a request no endpoint took: 405 with the method to use (<paramref name="allow"/>) for a protocol
    /// path asked with another method, else 404. <paramref name="printablePath"/> is the path as the caller may see it.
    /// </summary>
    public static (int Status, string Message) NoEndpoint(string method, string? path, string printablePath, out string? allow)
    {
        allow = MethodFor(path);
        return allow is not null ? NotAllowed(method, printablePath, allow) : (404, $"no endpoint at {method} {printablePath}");
    }

    /// <summary>A request path safe to echo in an error: control characters refused, long ones cut.</summary>
    public static string Printable(string? path) =>
        path is null ? "/" : path.AsSpan().ContainsAnyInRange('\0', '\u001f') ? "(invalid)" : path.Length > 100 ? path[..100] + "…" : path;

    /// <summary>405 for a path that takes only <paramref name="allow"/> (which also goes out as the Allow header).</summary>
    public static (int Status, string Message) NotAllowed(string method, string printablePath, string allow) =>
        (405, $"{method} is not allowed on {printablePath}: use {allow}");
}
