using System.Globalization;

namespace Serving.LoadTests.FeatureBench;

/// <summary>Sums the samples of one metric in Prometheus text whose labels include all of the given ones.</summary>
internal static class PrometheusSeries
{
    /// <summary>The sum over <paramref name="metric"/>'s series carrying every <c>name="value"</c> of <paramref name="labels"/>; 0 when none.</summary>
    public static double Sum(string text, string metric, params (string Name, string Value)[] labels)
    {
        var wanted = labels.Select(l => $"{l.Name}=\"{l.Value}\"").ToArray();
        double total = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length <= metric.Length || line[0] == '#' || !line.StartsWith(metric, StringComparison.Ordinal) || line[metric.Length] != '{')
            {
                continue;
            }

            var close = line.IndexOf('}', metric.Length);
            if (close < 0)
            {
                continue;
            }

            var labelText = "," + line[(metric.Length + 1)..close] + ",";
            if (!wanted.All(w => labelText.Contains("," + w + ",", StringComparison.Ordinal)))
            {
                continue;
            }

            var value = line[(close + 1)..].Trim().Split(' ')[0]; // a timestamp may follow the value
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                total += v;
            }
        }

        return total;
    }
}
