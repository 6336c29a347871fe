using System.Globalization;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Reads the gateway's /metrics (the process-wide registry: compare before and after).</summary>
internal static class MetricsText
{
    /// <summary>The sum of every sample of <paramref name="name"/> whose labels contain <paramref name="labelFilter"/>.</summary>
    public static async Task<double> SumAsync(GatewayServer gateway, string name, string labelFilter = "")
    {
        var text = await gateway.Metrics.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && (l.Length > name.Length && l[name.Length] is '{' or ' ') && l.Contains(labelFilter, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
