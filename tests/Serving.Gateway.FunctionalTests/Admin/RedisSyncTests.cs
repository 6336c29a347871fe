using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Testing;
using Xunit.Abstractions;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>
/// Two gateways sharing a real redis-server: a change made on one is in force on the other through
/// pub/sub. The periodic re-read is an hour apart here (not 0, so the test doesn't rest on what 0 means)
/// and the receiving gateway makes no call that reads the store, so nothing but the published message
/// could deliver the change within the wait; the test also sees that message reach the receiver's store.
/// The propagation time is printed, not asserted (the shared 2-core machine makes tight timing flaky);
/// the bound is generous.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RedisSyncTests(GatewayFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task ChangeOnOneGateway_InForceOnTheOther_AndSurvivesARestart()
    {
        var settings = Settings();
        await using var a = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], settings);
        await using var b = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], settings);

        var applied = AppliedOn(b);
        var published = PublishedTo(b);
        var watch = Stopwatch.StartNew();
        await Policies.SetAsync(a, """{"weights": {"1": 0, "2": 100}}""");
        var put = watch.Elapsed.TotalMilliseconds;
        await UntilAsync(b, "1=0 2=100");
        Assert.Contains("tabular", published);
        output.WriteLine($"a → b: the PUT on a returned after {put:F1} ms; b applied the change at {await applied:F1} ms");
        Assert.Equal("2", (await Infer.RestAsync(b.Http)).Version);
        Assert.Equal("2", (await Infer.GrpcAsync(b.Grpc)).Version);

        applied = AppliedOn(a);
        published = PublishedTo(a);
        watch.Restart();
        await Policies.SetAsync(b, """{"weights": {"1": 100, "2": 0}}""");
        put = watch.Elapsed.TotalMilliseconds;
        await UntilAsync(a, "1=100 2=0");
        Assert.Contains("tabular", published);
        output.WriteLine($"b → a: the PUT on b returned after {put:F1} ms; a applied the change at {await applied:F1} ms");
        Assert.Equal("1", (await Infer.RestAsync(a.Http)).Version);

        await using var c = await GatewayServer.StartAsync([fixture.WorkerA], settings);
        Assert.Equal("1=100 2=0", Policies.Weights(await Policies.GetAsync(c.Admin!)));
    }

    [Fact]
    public async Task ChangeBasedOnAStaleRevision_FromTheOtherGateway_409()
    {
        var settings = Settings();
        await using var a = await GatewayServer.StartAsync([fixture.WorkerA], settings);
        await using var b = await GatewayServer.StartAsync([fixture.WorkerA], settings);
        var first = await Policies.SetAsync(a, """{"weights": {"1": 100, "2": 0}}""");
        await Policies.SetAsync(b, """{"weights": {"1": 50, "2": 50}}""");

        var (status, _) = await Policies.PutAsync(a.Admin!, "tabular", $$"""{"weights": {"1": 0, "2": 100}, "revision": {{first.GetProperty("revision").GetInt64()}}}""");

        Assert.Equal(HttpStatusCode.Conflict, status);
        await UntilAsync(a, "1=50 2=50");
    }

    /// <summary>Milliseconds from now until the gateway applies its next policy change.</summary>
    private static Task<double> AppliedOn(GatewayServer gateway)
    {
        var watch = Stopwatch.StartNew();
        var applied = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
        gateway.Service<TrafficPolicies>().Applied += _ => applied.TrySetResult(watch.Elapsed.TotalMilliseconds);
        return applied.Task;
    }

    /// <summary>The models named by the change messages the gateway's store receives from Redis from now on.</summary>
    private static ConcurrentQueue<string> PublishedTo(GatewayServer gateway)
    {
        var models = new ConcurrentQueue<string>();
        gateway.Service<ITrafficPolicyStore>().Changed += models.Enqueue;
        return models;
    }

    private Dictionary<string, string?> Settings() => new()
    {
        ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString,
        ["Serving:Gateway:PolicyResyncInterval"] = "01:00:00",
    };

    private static async Task UntilAsync(GatewayServer gateway, string weights)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Policies.Weights(await Policies.GetAsync(gateway.Admin!)) != weights)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the other gateway did not get '{weights}' within 10 s");
            await Task.Delay(5);
        }
    }
}
