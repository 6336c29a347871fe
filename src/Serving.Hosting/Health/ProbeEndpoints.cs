using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Serving.Hosting.Health;

/// <summary>
/// Health and readiness paths answer HEAD as well as GET (the status alone, no body): uptime monitors, load balancers
/// and <c>wget --spider</c> or <c>curl -I</c> probe with HEAD, and got 405. KServe's Python server answers HEAD on its
/// GET routes the same way. A probe path asked with another method is 405 with <c>Allow: GET, HEAD</c>
/// (<see cref="Serving.Protocol.Rest.RestPaths.ProbeMethods"/>).
/// </summary>
public static class ProbeEndpoints
{
    private static readonly string[] MethodList = ["GET", "HEAD"];

    /// <summary>Maps <paramref name="pattern"/> for GET and HEAD.</summary>
    public static RouteHandlerBuilder MapProbe(this IEndpointRouteBuilder app, string pattern, Delegate handler) =>
        app.MapMethods(pattern, MethodList, handler);
}
