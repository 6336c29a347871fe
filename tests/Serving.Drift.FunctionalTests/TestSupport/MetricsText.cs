using System.Text;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>Values of single series in this process's Prometheus registry.</summary>
internal static class MetricsText
{
    /// <summary>The value of <paramref name="series"/> in this process's registry, as <c>/metrics</c> would expose it.</summary>
    public static async Task<double> ValueAsync(string series)
    {
        using var stream = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        return MetricsExposition.Value(Encoding.UTF8.GetString(stream.ToArray()), series);
    }
}
