using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Reads the gateway's /metrics (the process-wide registry: compare before and after).</summary>
internal static class MetricsText
{
    /// <summary>The sum of every sample of <paramref name="name"/> whose labels contain <paramref name="labelFilter"/>.</summary>
    public static async Task<double> SumAsync(GatewayServer gateway, string name, string labelFilter = "") =>
        MetricsExposition.Sum(await gateway.Metrics.GetStringAsync("/metrics"), name, labelFilter);
}
