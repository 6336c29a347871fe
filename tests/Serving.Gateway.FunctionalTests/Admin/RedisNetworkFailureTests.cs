using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Testing;
using StackExchange.Redis;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>
/// The gateways' policy store while the network to Redis fails as a real one does (a <see cref="RedisProxy"/> in front of a
/// real redis-server): a change answers 503 with the reason within a bounded time and the policy in force stays; a
/// replica whose change messages stop coming reads the store again; a start or a stop with a Redis that doesn't answer
/// ends.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RedisNetworkFailureTests(GatewayFixture fixture) : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private RedisProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _proxy = RedisProxy.Start(_redis.Port);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _redis.Resume();
        await _redis.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(RedisNetworkFailures.All), MemberType = typeof(RedisNetworkFailures))]
    public async Task ChangeWhileTheNetworkFails_503WithTheReason_ThePolicyInForceStays(string failure)
    {
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayServer.StartAsync(
            [fixture.WorkerA, fixture.WorkerB], Settings(RedisNetworkFailures.ConnectionString(failure, _redis, _proxy)), Capture(logs));
        await Policies.SetAsync(gateway, Policies.TwoVersions(100, 0));

        RedisNetworkFailures.Start(failure, _redis, _proxy, TimeSpan.FromSeconds(3));
        try
        {
            var (status, body) = await Policies.PutAsync(gateway.Admin!, "tabular", Policies.TwoVersions(0, 100));
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{failure}: {(int)status} {body}");
            var error = body.GetProperty("error").GetString()!;
            Assert.StartsWith("the policy store is unavailable: ", error, StringComparison.Ordinal);
            Assert.True(error.Length <= 240, $"a line, not the Redis client's diagnostics ({error.Length} characters): {error}");
            Assert.Equal("1=100 2=0", Policies.Weights(await Policies.GetAsync(gateway.Admin!)));
            Assert.Equal("1", (await Infer.RestAsync(gateway.Http)).Version);
        }
        finally
        {
            RedisNetworkFailures.End(failure, _redis, _proxy);
        }

        // Back: the refused change was never stored, and the next one is.
        (HttpStatusCode Status, System.Text.Json.JsonElement Body) next = default;
        await Poll.UntilAsync(async () => (next = await Policies.PutAsync(gateway.Admin!, "tabular", Policies.TwoVersions(50, 50))).Status != HttpStatusCode.ServiceUnavailable);
        Assert.True(next.Status == HttpStatusCode.OK, $"{failure}: {next.Status} {next.Body}");
        Assert.Equal(2, next.Body.GetProperty("revision").GetInt64());
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task SubscriptionGoesDark_TheOtherGatewayStillGetsTheChange_ByTheReRead()
    {
        var direct = Settings(_redis.ConnectionString);
        var proxied = Settings(_proxy.ConnectionString);
        proxied["Serving:Gateway:PolicyResyncInterval"] = "00:00:00.500";
        await using var a = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], direct);
        await using var b = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], proxied);
        await Policies.SetAsync(a, Policies.TwoVersions(100, 0));
        await Poll.UntilAsync(async () => Policies.Weights(await Policies.GetAsync(b.Admin!)) == "1=100 2=0");

        _proxy.BlackholeSubscribers();
        var published = new System.Collections.Concurrent.ConcurrentQueue<string>();
        b.Service<ITrafficPolicyStore>().Changed += published.Enqueue;
        await Policies.SetAsync(a, Policies.TwoVersions(0, 100));
        await Poll.UntilAsync(async () => Policies.Weights(await Policies.GetAsync(b.Admin!)) == "1=0 2=100");
        Assert.Equal("2", (await Infer.RestAsync(b.Http)).Version);
        Assert.Empty(published); // the message never came: the re-read brought the change
    }

    /// <summary>
    /// Gateway b's connections to Redis are reset while a changes the policy: the change message is lost with them. Before,
    /// b caught up only at its next periodic re-read (an hour here; never with PolicyResyncInterval 0); now it reads the
    /// store again once it is reconnected.
    /// </summary>
    [Fact]
    public async Task ConnectionsReset_AChangeMadeMeanwhile_InForceOnBothOnceBack()
    {
        await using var a = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings(_redis.ConnectionString));
        await using var b = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings(_proxy.ConnectionString));
        await Policies.SetAsync(a, Policies.TwoVersions(100, 0));
        await Poll.UntilAsync(async () => Policies.Weights(await Policies.GetAsync(b.Admin!)) == "1=100 2=0");

        _proxy.Reset();
        await Policies.SetAsync(a, Policies.TwoVersions(0, 100));
        await Poll.UntilAsync(() => _proxy.Resets > 0); // the change's message reset b's subscription, undelivered
        _proxy.Forward();

        await Poll.UntilAsync(async () => Policies.Weights(await Policies.GetAsync(b.Admin!)) == "1=0 2=100");
        Assert.Equal("2", (await Infer.RestAsync(b.Http)).Version);
    }

    /// <summary>
    /// A gateway started while its Redis takes connections and never answers: it starts (serving its last-known copy, or
    /// the defaults), says so, and answers changes 503. Before, once Redis answered it still served that until the next
    /// periodic re-read (an hour here; never with PolicyResyncInterval 0); now it reads Redis's policies once connected.
    /// </summary>
    [Fact]
    public async Task StartWithABlackholedRedis_StartsAndSaysSo_ReadsRedisOnceItAnswers_ChangesFromTheOtherArrive()
    {
        await using var a = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings(_redis.ConnectionString));
        await Policies.SetAsync(a, Policies.TwoVersions(100, 0));
        _proxy.Blackhole();
        var logs = new CapturingLoggerProvider();
        var starting = GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings(_proxy.ConnectionString), Capture(logs));
        Assert.True(await Task.WhenAny(starting, Task.Delay(TimeSpan.FromSeconds(45))) == starting, "the gateway did not start within 45 s with a blackholed Redis");
        await using var b = await starting;

        // Says where Redis is and what to check, in a line (the Redis client's dump goes with it as the exception).
        var said = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("The traffic policy store, Redis at ", StringComparison.Ordinal));
        Assert.StartsWith($"The traffic policy store, Redis at 127.0.0.1:{_proxy.Port},", said.Message, StringComparison.Ordinal);
        Assert.Contains("Check that redis-server runs at that address and takes the connection string's password", said.Message, StringComparison.Ordinal);
        Assert.True(said.Message.Length < 700, said.Message);
        Assert.Equal("2", (await Infer.RestAsync(b.Http)).Version); // the defaults: this data directory has no copy
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Policies.PutAsync(b.Admin!, "tabular", Policies.TwoVersions(50, 50))).Status);

        _proxy.Forward();
        await Poll.UntilAsync(async () => Policies.Weights(await Policies.GetAsync(b.Admin!)) == "1=100 2=0");
        Assert.Equal("1", (await Infer.RestAsync(b.Http)).Version);
        await Policies.SetAsync(a, Policies.TwoVersions(0, 100));
        await Poll.UntilAsync(async () => Policies.Weights(await Policies.GetAsync(b.Admin!)) == "1=0 2=100");
    }

    /// <summary>
    /// Before, the store's multiplexer was disposed with StackExchange.Redis's default close, which sends QUIT and waits
    /// for its answer up to the sync timeout: with a Redis that doesn't answer the gateway's stop took that long (here a
    /// minute) after the requests had drained.
    /// </summary>
    [Fact]
    public async Task StopWhileARedisCallHangs_TheGatewayStops()
    {
        var settings = Settings(_proxy.ConnectionString + ",syncTimeout=60000,asyncTimeout=60000");
        settings["Serving:Shutdown:DrainTimeout"] = "00:00:02";
        var gateway = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], settings);
        await Policies.SetAsync(gateway, Policies.TwoVersions(100, 0));
        _proxy.Blackhole();
        var put = Policies.PutAsync(gateway.Admin!, "tabular", Policies.TwoVersions(0, 100));
        await Poll.UntilAsync(() => _proxy.Held > 0); // the change's read of the store is in the blackhole

        var stopping = gateway.DisposeAsync().AsTask();

        Assert.True(await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(40))) == stopping, "the gateway did not stop within 40 s while a Redis call hung (sync timeout 60 s)");
        await stopping;
        await Assert.ThrowsAnyAsync<Exception>(() => put); // its connection was closed by the stop, unanswered
    }

    private static Action<TracerProviderBuilder> Capture(CapturingLoggerProvider logs) => t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs));

    private static Dictionary<string, string?> Settings(string redis) => new()
    {
        ["Serving:Gateway:RedisConnectionString"] = redis + (redis.Contains("asyncTimeout", StringComparison.Ordinal) ? "" : ",syncTimeout=1500,asyncTimeout=1500"),
        ["Serving:Gateway:PolicyResyncInterval"] = "01:00:00",
    };
}
