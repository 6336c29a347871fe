using System.Collections.Concurrent;
using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>Weights split real requests as configured: 90/10 within ±1.5 points over 10,000 requests, 0/100 and 100/0 exactly.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SplitTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Rest_90_10_Over10000Requests_WithinOnePointFive()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 90, "2": 10}}""");

        var served = await RunAsync(10_000, 8, async () => (await Infer.RestAsync(fixture.Gateway.Http)).Version);

        Assert.Equal(10_000, served.Values.Sum());
        Assert.Equal(["1", "2"], served.Keys.Order());
        Assert.InRange(served["2"] / 100.0, 8.5, 11.5);
    }

    [Theory]
    [InlineData(0, 100, "2")]
    [InlineData(100, 0, "1")]
    public async Task AllOrNothing_IsExact_OnBothProtocols(int w1, int w2, string only)
    {
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(w1, w2));

        var rest = await RunAsync(500, 4, async () => (await Infer.RestAsync(fixture.Gateway.Http)).Version);
        var grpc = await RunAsync(500, 4, async () => (await Infer.GrpcAsync(fixture.Gateway.Grpc)).Version);

        Assert.Equal(500, Assert.Single(rest, kv => kv.Key == only).Value);
        Assert.Equal(500, Assert.Single(grpc, kv => kv.Key == only).Value);
        Assert.Single(rest);
        Assert.Single(grpc);
    }

    /// <summary>Sends <paramref name="total"/> requests from <paramref name="concurrency"/> loops and counts the versions that answered.</summary>
    internal static async Task<Dictionary<string, int>> RunAsync(int total, int concurrency, Func<Task<string?>> send)
    {
        var counts = new ConcurrentDictionary<string, int>();
        var remaining = total;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var version = await send() ?? "(none)";
                counts.AddOrUpdate(version, 1, (_, n) => n + 1);
            }
        })));
        return new Dictionary<string, int>(counts);
    }
}
