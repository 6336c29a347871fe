namespace Serving.LoadTests.Generator;

/// <summary>
/// This process's garbage collections at one instant: collections per generation and the total time the GC held
/// the process paused, so a run can say how much of its wall time went to GC pauses (on this project's 2-core
/// machine, 3–7% of a worker cell's).
/// </summary>
internal readonly record struct GcSample(long Ticks, int Gen0, int Gen1, int Gen2, TimeSpan Paused)
{
    /// <summary>Now.</summary>
    public static GcSample Take() =>
        new(Timestamps.Now, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    /// <summary>What the GC did between <paramref name="start"/> and this sample.</summary>
    public GcUsage Since(GcSample start)
    {
        var wall = Math.Max(Timestamps.ToSeconds(Ticks - start.Ticks), 1e-9);

        // CollectionCount(n) counts every collection of generation n or older: gen0 alone is gen0 minus gen1.
        var gen2 = Gen2 - start.Gen2;
        var gen1 = Gen1 - start.Gen1 - gen2;
        var gen0 = Gen0 - start.Gen0 - gen2 - gen1;
        return new GcUsage(gen0, gen1, gen2, Math.Round((Paused - start.Paused).TotalSeconds / wall, 4));
    }
}

/// <summary>
/// The collections a run saw, by the generation they collected (a gen1 collection is not counted as gen0 too),
/// and the share of its wall time the process was paused for them.
/// </summary>
internal sealed record GcUsage(int Gen0, int Gen1, int Gen2, double PausedShare)
{
    /// <summary>"6.5% (230 / 0 / 0)": paused share, then gen0 / gen1 / gen2 collections.</summary>
    public override string ToString() =>
        $"{(PausedShare * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}% ({Gen0} / {Gen1} / {Gen2})";
}
