namespace Serving.LoadTests.Generator;

/// <summary>Average cores used over <paramref name="WallSeconds"/>: by this process, by its child processes, by the whole machine (NaN when unknown).</summary>
internal readonly record struct CpuUsage(double WallSeconds, double ProcessCores, double ChildCores, double MachineCores)
{
    /// <summary>Cores the machine spent on things other than this process and its children (other engineers' builds, say).</summary>
    public double OtherCores => double.IsNaN(MachineCores) ? double.NaN : Math.Max(0, MachineCores - ProcessCores - ChildCores);
}
