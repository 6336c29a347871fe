using System.Text.Json;
using Serving.LoadTests.Commands;
using Serving.LoadTests.FeatureBench;

namespace Serving.LoadTests.Tests.FeatureBench;

/// <summary>The real command, short: its own redis-server, the real worker in-process, real gRPC load in both forms.</summary>
[Collection(FeaturesBenchCollection.Name)]
public sealed class FeaturesBenchEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("features-bench-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RunAsync_ShortRun_BothFormsServedCleanly_RoundTripsFromRedisCounters()
    {
        var options = new FeatureBenchOptions
        {
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromMilliseconds(500),
            ServerWarmup = TimeSpan.Zero,
            Rounds = 2,

            // Cold start on a shared 2-core machine can push a Redis call past the worker's 100 ms default; defaults would hide what this checks.
            StoreTimeout = TimeSpan.FromSeconds(5),
            MarkdownPath = Path.Combine(_dir, "report.md"),
            JsonPath = Path.Combine(_dir, "report.json"),
        };

        var exit = await FeaturesBenchCommand.RunAsync(options, CancellationToken.None);

        Assert.Equal(0, exit);
        await using var json = File.OpenRead(options.JsonPath);
        var report = (await JsonSerializer.DeserializeAsync(json, FeatureBenchJsonContext.Default.FeatureBenchReport))!;
        Assert.Null(report.StoppedEarly);
        Assert.Equal(569, report.Entities);
        Assert.Equal(2, report.Rounds);
        Assert.Equal("packed", report.ShippedLayout); // models/tabular/model.yaml

        // ABBA per worker: round 1 inline first, round 2 lookup first.
        Assert.Equal(
            ["hash/off", "hash/on", "packed/off", "packed/on"],
            report.Arms.Select(a => $"{a.Layout}/{a.NearCache}").Distinct());
        Assert.All(report.Arms.Chunk(4), worker => Assert.Equal(
            ["1/inline", "1/lookup", "2/lookup", "2/inline"],
            worker.Select(a => $"{a.Round}/{a.Form}")));
        Assert.All(report.Arms, arm =>
        {
            Assert.Null(arm.Error);
            Assert.True(arm.Report!.Succeeded > 0, $"{arm.Layout}/{arm.NearCache}/{arm.Form}: no successful requests");
            Assert.Equal(0, arm.Report.Failed);
            Assert.Equal(0, arm.Worker!.DefaultedRows);
            Assert.Equal(0, arm.Worker.StoreErrors);
            Assert.Equal(0, arm.Worker.BreakerRefusals);
            Assert.True(arm.Worker.Batches > 0);
        });

        // Near cache off: every batch went to Redis, and Redis counted one script call (hash) or one MGET (packed) per batch.
        var off = report.Arms.First(a => a is { Layout: "hash", NearCache: "off", Form: FeatureArm.Lookup }).RoundTrips!;
        Assert.Equal("script", off.Via);
        Assert.True(off.StoreCalls > 0);
        Assert.True(off.KeysRead >= off.StoreCalls);
        Assert.InRange(off.PerBatch!.Value, 0.95, 1.05);
        var packedArm = report.Arms.First(a => a is { Layout: "packed", NearCache: "off", Form: FeatureArm.Lookup });
        var packed = packedArm.RoundTrips!;
        Assert.Equal("mget", packed.Via);
        Assert.True(packed.StoreCalls > 0);
        Assert.Equal(packedArm.Worker!.CacheMisses, packed.KeysRead);
        Assert.InRange(packed.PerBatch!.Value, 0.95, 1.05);

        // The inline form never touches Redis.
        Assert.All(report.Arms.Where(a => a.Form == FeatureArm.Inline), a => Assert.Equal(0, a.RoundTrips!.StoreCalls));

        Assert.All(report.Comparisons, c =>
        {
            Assert.True(c.Agreement!.Agrees, $"layout {c.Layout}, near cache {c.NearCache}: the forms gave different outputs");
            Assert.NotNull(c.AddedP99Micros);
            Assert.Equal(2, c.AddedP99ByRound!.Count);
        });
        var markdown = await File.ReadAllTextAsync(options.MarkdownPath);
        Assert.Contains("| hash | off (TTL 0: every entity from Redis) |", markdown, StringComparison.Ordinal);
        Assert.Contains("| packed (as shipped) | off (TTL 0: every entity from Redis) |", markdown, StringComparison.Ordinal);
        Assert.Contains("| packed (as shipped) | on (TTL 1000 ms) |", markdown, StringComparison.Ordinal);
    }
}
