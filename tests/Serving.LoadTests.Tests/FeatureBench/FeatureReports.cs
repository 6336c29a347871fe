using Serving.LoadTests.Bench;
using Serving.LoadTests.FeatureBench;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.FeatureBench;

/// <summary>Hand-built feature-bench arms and reports with just the figures a test reads.</summary>
internal static class FeatureReports
{
    public static FeatureArm Arm(string nearCache, string form, double rps, long p99Micros, long storeCalls = 0, long batches = 100, long hits = 0, long misses = 0) => new(
        nearCache,
        form,
        Reports.Load(rps, p99Micros),
        null,
        new WorkerFeatureStats(batches, 50, hits, misses, storeCalls, 0, 0, form == FeatureArm.Lookup ? 250 : null),
        RoundTrips.From(CommandStats.Parse($"cmdstat_evalsha:calls={storeCalls},usec=1\ncmdstat_hmget:calls={storeCalls * 50},usec=1\n"), batches, storeCalls),
        0.2);

    public static FeatureBenchReport Report(IReadOnlyList<FeatureArm> arms, IReadOnlyList<FeatureComparison> comparisons) => new()
    {
        StartedAt = DateTimeOffset.UnixEpoch,
        TotalSeconds = 70,
        Machine = new BenchMachine(2, "cpu", ".NET 10", "1.20", true, true),
        Model = "tabular",
        ModelVersion = "2",
        KeyPattern = "features:customer:{id}",
        Entities = 569,
        Fields = 30,
        RedisVersion = "7.0.15",
        GrpcClient = "raw-h2",
        Concurrency = 64,
        DurationSeconds = 10,
        WarmupSeconds = 2,
        ServerWarmupSeconds = 10,
        Batching = new BatchingConfig(64, 0, 0, 0),
        Arms = arms,
        Comparisons = comparisons,
    };
}
