namespace Serving.LoadTests.Bench;

/// <summary>Names of <see cref="BenchArm"/> for reports.</summary>
internal static class BenchArms
{
    /// <summary>Every arm, in the order the bench runs them.</summary>
    public static readonly BenchArm[] All = [BenchArm.WorkerBatching, BenchArm.WorkerUnbatched, BenchArm.Naive, BenchArm.Echo];

    /// <summary>The short name (file names; JSON uses the same through <see cref="BenchArm"/>'s member names).</summary>
    public static string ToName(this BenchArm arm) => arm switch
    {
        BenchArm.WorkerBatching => "worker-batching",
        BenchArm.WorkerUnbatched => "worker-unbatched",
        BenchArm.Naive => "naive",
        _ => "echo",
    };

    /// <summary>Parses a short name.</summary>
    public static BenchArm Parse(string name) =>
        All.Select(a => (BenchArm?)a).FirstOrDefault(a => a!.Value.ToName() == name)
            ?? throw LoadTestException.Usage($"unknown server '{name}': use {string.Join(", ", All.Select(a => a.ToName()))}");

    /// <summary>The label in tables.</summary>
    public static string ToLabel(this BenchArm arm) => arm switch
    {
        BenchArm.WorkerBatching => "worker, batching on",
        BenchArm.WorkerUnbatched => "worker, batching off",
        BenchArm.Naive => "naive server",
        _ => "echo server",
    };
}
