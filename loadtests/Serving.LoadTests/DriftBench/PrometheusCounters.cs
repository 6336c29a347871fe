using System.Globalization;

namespace Serving.LoadTests.DriftBench;

/// <summary>Reads a metric out of Prometheus text exposition, summed over all its series (any labels).</summary>
internal static class PrometheusCounters
{
    /// <summary>The sum of every sample of <paramref name="metric"/> (exact name, with or without labels); 0 when there is none.</summary>
    public static double Sum(string text, string metric)
    {
        double total = 0;
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan()[range].TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[metric.Length..];
            if (rest.Length > 0 && rest[0] == '{')
            {
                var close = rest.IndexOf('}');
                rest = close < 0 ? [] : rest[(close + 1)..];
            }
            else if (rest.Length == 0 || rest[0] != ' ')
            {
                continue; // another metric whose name starts with this one
            }

            var value = rest.Trim();
            var space = value.IndexOf(' ');
            if (space >= 0)
            {
                value = value[..space]; // a timestamp may follow the value
            }

            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                total += v;
            }
        }

        return total;
    }
}
