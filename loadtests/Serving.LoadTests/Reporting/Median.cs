namespace Serving.LoadTests.Reporting;

/// <summary>The median the benches report over rounds, so one slow or fast round does not move the figure.</summary>
internal static class Median
{
    /// <summary>The middle value (the mean of the middle two for an even count); null when empty.</summary>
    public static double? Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }
}
