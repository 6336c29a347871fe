namespace Serving.Protocol.Rest;

/// <summary>The Open Inference Protocol's REST paths and the one method each takes, for answering a wrong method with 405.</summary>
public static class RestPaths
{
    /// <summary>
    /// The method <paramref name="path"/> takes when it is one of the protocol's paths (<c>GET</c> for health, server
    /// and model metadata and ready; <c>POST</c> for infer), else null.
    /// </summary>
    public static string? MethodFor(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        var segments = path.Trim('/').Split('/');
        if (segments.Length == 0 || segments[0] != "v2" || Array.Exists(segments, s => s.Length == 0))
        {
            return null;
        }

        return segments switch
        {
            ["v2"] => "GET",
            ["v2", "health", "live" or "ready"] => "GET",
            ["v2", "models", _] or ["v2", "models", _, "versions", _] => "GET",
            ["v2", "models", _, "ready"] or ["v2", "models", _, "versions", _, "ready"] => "GET",
            ["v2", "models", _, "infer"] or ["v2", "models", _, "versions", _, "infer"] => "POST",
            _ => null,
        };
    }
}
