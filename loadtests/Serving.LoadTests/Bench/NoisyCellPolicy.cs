namespace Serving.LoadTests.Bench;

/// <summary>
/// When a cell ran while other processes took a noticeable share of the machine, it is run again and the quieter
/// attempt is kept: the bench measures the server, not the neighbours. The same rule applies to every server.
/// </summary>
internal static class NoisyCellPolicy
{
    /// <summary>True when <paramref name="cell"/> ran and other processes used more than <paramref name="thresholdCores"/> cores meanwhile.</summary>
    public static bool IsNoisy(BenchCell cell, double thresholdCores) =>
        cell.Report is { OtherCpuCores: { } others } && others > thresholdCores;

    /// <summary>The attempt to keep: one that ran over one that did not, then the one with less CPU taken by others.</summary>
    public static BenchCell Quieter(BenchCell first, BenchCell second) => (first.Report, second.Report) switch
    {
        (null, _) => second,
        (_, null) => first,
        var (a, b) => (b.OtherCpuCores ?? double.MaxValue) < (a.OtherCpuCores ?? double.MaxValue) ? second : first,
    };
}
