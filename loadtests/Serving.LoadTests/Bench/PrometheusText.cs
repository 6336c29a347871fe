using System.Globalization;

namespace Serving.LoadTests.Bench;

/// <summary>Reads sample values out of Prometheus text exposition, summed over the series that match.</summary>
internal static class PrometheusText
{
    /// <summary>
    /// The sum of <paramref name="metric"/>'s samples whose labels include <c>model="<paramref name="model"/>"</c>
    /// (every version), or 0 when there are none.
    /// </summary>
    public static double Sum(string text, string metric, string model)
    {
        var modelLabel = $"model=\"{model}\"";
        double total = 0;
        foreach (var range in text.AsSpan().Split('\n'))
        {
            var line = text.AsSpan()[range].TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[metric.Length..];
            if (rest.Length == 0 || rest[0] != '{')
            {
                continue;
            }

            var close = rest.IndexOf('}');
            if (close < 0 || !rest[..close].Contains(modelLabel, StringComparison.Ordinal))
            {
                continue;
            }

            var value = rest[(close + 1)..].Trim();
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
