using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Serving.Hosting.Metrics;

/// <summary>Maps the Prometheus scrape endpoint.</summary>
public static class MetricsEndpointExtensions
{
    /// <summary>
    /// Maps <c>GET /metrics</c> (prometheus-net text exposition). Another method falls through to the role's own
    /// fallback, which answers 405 with <c>Allow: GET</c>.
    /// </summary>
    public static IEndpointConventionBuilder MapServingMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapMetrics("/metrics").WithMetadata(new HttpMethodMetadata(["GET"]));
}
