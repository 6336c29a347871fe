using Prometheus;

namespace Serving.Worker.Tests.TestSupport;

/// <summary>Reads the process-wide Prometheus registry the worker's metrics live in, as exposition text.</summary>
internal static class PrometheusText
{
    public static async Task<string[]> LinesAsync(string metricName)
    {
        using var stream = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        return text.Split('\n').Where(l => l.StartsWith(metricName + "{", StringComparison.Ordinal)).ToArray();
    }
}
