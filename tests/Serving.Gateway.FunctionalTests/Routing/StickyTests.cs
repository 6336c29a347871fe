using System.Collections.Concurrent;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>A sticky key stays on its version while the weights hold; 90/10 → 80/20 moves only about the 10% of keys it must, all to the arm that grew.</summary>
[Collection(GatewayCollection.Name)]
public sealed class StickyTests(GatewayFixture fixture)
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 2_000).Select(i => $"customer-{i}")];

    [Fact]
    public async Task Rest_KeyNeverChangesWhileWeightsHold_ShiftMovesAboutTenPercentToTheGrownArm()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 90, "2": 10}, "sticky_header": "x-user-id"}""");
        var first = await VersionsAsync(key => Infer.RestAsync(fixture.Gateway.Http, headers: ("x-user-id", key)).ContinueWith(t => t.Result.Version));
        var second = await VersionsAsync(key => Infer.RestAsync(fixture.Gateway.Http, headers: ("x-user-id", key)).ContinueWith(t => t.Result.Version));
        Assert.Equal(first, second);

        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 80, "2": 20}, "sticky_header": "x-user-id"}""");
        var after = await VersionsAsync(key => Infer.RestAsync(fixture.Gateway.Http, headers: ("x-user-id", key)).ContinueWith(t => t.Result.Version));

        var moved = Keys.Where(k => first[k] != after[k]).ToList();
        Assert.All(moved, k => Assert.Equal(("1", "2"), (first[k], after[k])));
        Assert.InRange(moved.Count / (double)Keys.Length, 0.08, 0.12);
    }

    [Fact]
    public async Task Grpc_SameKey_SameVersionAsRest()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 50, "2": 50}, "sticky_header": "x-user-id"}""");

        foreach (var key in Keys.Take(50))
        {
            var (_, rest, _) = await Infer.RestAsync(fixture.Gateway.Http, headers: ("x-user-id", key));
            var (_, grpc) = await Infer.GrpcAsync(fixture.Gateway.Grpc, headers: new Metadata { { "x-user-id", key } });
            Assert.Equal(rest, grpc);
        }
    }

    private static async Task<Dictionary<string, string?>> VersionsAsync(Func<string, Task<string?>> send)
    {
        var versions = new ConcurrentDictionary<string, string?>();
        await Parallel.ForEachAsync(Keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, _) => versions[key] = await send(key));
        return new Dictionary<string, string?>(versions);
    }
}
