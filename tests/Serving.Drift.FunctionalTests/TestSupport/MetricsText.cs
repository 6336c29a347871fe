using System.Globalization;
using System.Text;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>Values of single series in a Prometheus text exposition.</summary>
internal static class MetricsText
{
    /// <summary>The value of <paramref name="series"/> (name and labels as exposed), or 0 when it is absent.</summary>
    public static double Value(string exposition, string series)
    {
        var prefix = series + " ";
        var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>The value of <paramref name="series"/> in this process's registry, as <c>/metrics</c> would expose it.</summary>
    public static async Task<double> ValueAsync(string series)
    {
        using var stream = new MemoryStream();
        await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        return Value(Encoding.UTF8.GetString(stream.ToArray()), series);
    }
}
