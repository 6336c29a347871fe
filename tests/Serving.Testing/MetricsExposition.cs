using System.Globalization;

namespace Serving.Testing;

/// <summary>Values of single series in a Prometheus text exposition (what <c>/metrics</c> answers).</summary>
public static class MetricsExposition
{
    /// <summary>The value of <paramref name="series"/> (its name and labels exactly as exposed), or 0 when it is absent.</summary>
    public static double Value(string exposition, string series)
    {
        var prefix = series + " ";
        var line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..].Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>The sum of every series of metric <paramref name="name"/> whose line holds <paramref name="labelFilter"/>.</summary>
    public static double Sum(string exposition, string name, string labelFilter = "") =>
        exposition.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.Length > name.Length && l[name.Length] is '{' or ' ' && l.Contains(labelFilter, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture));
}
