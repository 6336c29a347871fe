using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Testing;
using StackExchange.Redis;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>
/// Redis loses or replaces what it held (a restart without persistence, garbage in the field, the field deleted) while
/// the gateways keep their policies in memory: a change answered 200 must be in force on every gateway, and replicas must
/// end up agreeing with the store. Pub/sub alone delivers changes here (the periodic re-read is an hour apart) unless a
/// test turns the re-read on.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RedisDataLossTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const string Field = "tabular";
    private static readonly RedisKey PoliciesKey = "serving:gateway:policies";

    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Theory]
    [InlineData("restart")]
    [InlineData("garbage")]
    [InlineData("deleted")]
    public async Task StoreLostThePolicy_NextChange_InForceOnBothGateways_RevisionGoesOn(string loss)
    {
        await using var a = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings());
        await using var b = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings());
        foreach (var w in new[] { 10, 20, 30 })
        {
            await Policies.SetAsync(a, Policies.TwoVersions(100 - w, w));
        }

        await UntilAsync(b, "1=70 2=30");
        await LoseAsync(loss);

        var (status, body) = await PutWhenConnectedAsync(a, Policies.TwoVersions(100, 0), gateways: 2);

        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        Assert.Equal(4, body.GetProperty("revision").GetInt64());
        var onA = await Policies.GetAsync(a.Admin!);
        Assert.Equal(("1=100 2=0", 4L), (Policies.Weights(onA), onA.GetProperty("revision").GetInt64()));
        await UntilAsync(b, "1=100 2=0");
        Assert.Equal("1", (await Infer.RestAsync(a.Http)).Version);
        Assert.Equal("1", (await Infer.RestAsync(b.Http)).Version);
        Assert.Equal(4, JsonDocument.Parse(_redis.Database.HashGet(PoliciesKey, Field).ToString()).RootElement.GetProperty("revision").GetInt64());
    }

    [Fact]
    public async Task RedisRestartedEmpty_AGatewayStartedSince_ChangesIt_TheOtherAppliesTheLowerRevision()
    {
        await using var a = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings());
        await Policies.SetAsync(a, Policies.TwoVersions(90, 10));
        await Policies.SetAsync(a, Policies.TwoVersions(80, 20));
        await LoseAsync("restart");
        await using var c = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings());

        var (status, body) = await PutWhenConnectedAsync(c, Policies.TwoVersions(0, 100), gateways: 2);

        Assert.True(status == HttpStatusCode.OK, $"{status}: {body}");
        await UntilAsync(a, "1=0 2=100");
        Assert.Equal("2", (await Infer.RestAsync(a.Http)).Version);
    }

    [Fact]
    public async Task RedisRestoredFromAnOlderSnapshot_TheLowerRevisionApplies_WithAWarningNamingBoth()
    {
        var logs = new CapturingLoggerProvider();
        await using var a = await GatewayServer.StartAsync(
            [fixture.WorkerA, fixture.WorkerB], Settings(), t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        await Policies.SetAsync(a, Policies.TwoVersions(90, 10));
        var snapshot = (await _redis.Database.HashGetAsync(PoliciesKey, Field)).ToString();
        await Policies.SetAsync(a, Policies.TwoVersions(80, 20));

        await _redis.Database.HashSetAsync(PoliciesKey, Field, snapshot);
        await _redis.Database.PublishAsync(RedisChannel.Literal("serving:gateway:changed"), Field);

        await UntilAsync(a, "1=90 2=10");
        // Logged just after the policy applies. The store's own warnings are not this one: its subscription, still
        // reconnecting after the Redis restart of the test before, said "the traffic policy store is unavailable" (seen in CI).
        static bool Replaced(CapturedLog e) =>
            e.Category == typeof(TrafficPolicyService).FullName && e.Level == LogLevel.Warning && e.Message.Contains(" replaces ", StringComparison.Ordinal);
        await Poll.UntilAsync(() => Task.FromResult(logs.Entries.Any(Replaced)));
        var warning = Assert.Single(logs.Entries, Replaced);
        Assert.StartsWith("Traffic policy of tabular revision 1 (by ", warning.Message, StringComparison.Ordinal);
        Assert.Contains("replaces the higher revision 2 (by ", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisRestartedEmpty_ThePolicyInForce_IsWrittenBack_AGatewayStartedSinceGetsIt()
    {
        var resync = Settings();
        resync["Serving:Gateway:PolicyResyncInterval"] = "00:00:00.200";
        await using var a = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], resync);
        await Policies.SetAsync(a, Policies.TwoVersions(90, 10));
        await Policies.SetAsync(a, Policies.TwoVersions(80, 20));

        await LoseAsync("restart");

        await Poll.UntilAsync(async () => (await _redis.Database.HashGetAsync(PoliciesKey, Field)).HasValue);
        await using var c = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], Settings());
        var onC = await Policies.GetAsync(c.Admin!);
        Assert.Equal(("1=80 2=20", 2L), (Policies.Weights(onC), onC.GetProperty("revision").GetInt64()));
    }

    [Fact]
    public async Task GatewayStartedWhileRedisIsDown_ServesThePoliciesItLastHad_NotTheDefaults()
    {
        using var data = new TempDirectory();
        var settings = Settings();
        settings["Serving:Gateway:DataDirectory"] = data.Path;
        await using (var a = await GatewayServer.StartAsync([fixture.WorkerA, fixture.WorkerB], settings))
        {
            await Policies.SetAsync(a, Policies.TwoVersions(100, 0)); // the defaults would send everything to 2
            var lastKnown = new LastKnownPolicies(data.Path);
            await Poll.UntilAsync(async () => (await lastKnown.LoadAsync(CancellationToken.None)).Policies is [{ Revision: 1 }]);
        }

        _redis.Stop();
        var logs = new CapturingLoggerProvider();
        await using var b = await GatewayServer.StartAsync(
            [fixture.WorkerA, fixture.WorkerB], settings, t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("1", (await Infer.RestAsync(b.Http)).Version);
        }

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("The policy store can't be read at start: serving the 1 traffic policies this gateway last had from it", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Policies.PutAsync(b.Admin!, "tabular", Policies.TwoVersions(50, 50))).Status);
    }

    private async Task LoseAsync(string loss)
    {
        switch (loss)
        {
            case "restart":
                _redis.Stop();
                await _redis.StartAgainAsync();
                break;
            case "garbage":
                await _redis.Database.HashSetAsync(PoliciesKey, Field, "{\"model\": \"tabular\", \"weig");
                break;
            default:
                await _redis.Database.HashDeleteAsync(PoliciesKey, Field);
                break;
        }
    }

    /// <summary>PUTs once the gateways are subscribed again (a restarted Redis is reconnected to in the background) and the store answers.</summary>
    private async Task<(HttpStatusCode Status, JsonElement Body)> PutWhenConnectedAsync(GatewayServer gateway, string json, int gateways)
    {
        await Poll.UntilAsync(async () => await SubscribersAsync() == gateways);
        (HttpStatusCode Status, JsonElement Body) result = default;
        await Poll.UntilAsync(async () => (result = await Policies.PutAsync(gateway.Admin!, "tabular", json)).Status != HttpStatusCode.ServiceUnavailable);
        return result;
    }

    private async Task<long> SubscribersAsync()
    {
        var reply = (RedisResult[])(await _redis.Database.ExecuteAsync("PUBSUB", "NUMSUB", "serving:gateway:changed"))!;
        return (long)reply[1];
    }

    private Dictionary<string, string?> Settings() => new()
    {
        ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString,
        ["Serving:Gateway:PolicyResyncInterval"] = "01:00:00",
    };

    private static async Task UntilAsync(GatewayServer gateway, string weights) =>
        await Poll.UntilAsync(async () => Policies.Weights(await Policies.GetAsync(gateway.Admin!)) == weights);
}
