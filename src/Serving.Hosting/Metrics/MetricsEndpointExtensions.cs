using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Serving.Hosting.Metrics;

/// <summary>Maps the Prometheus scrape endpoint.</summary>
public static class MetricsEndpointExtensions
{
    /// <summary>Maps <c>/metrics</c> (prometheus-net text exposition).</summary>
    public static IEndpointConventionBuilder MapServingMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapMetrics("/metrics");
}
