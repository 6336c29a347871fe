using System.Net;
using System.Text.Json;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Rollback;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Rollback;

/// <summary>
/// Two gateways sharing a real redis-server both decide to roll the same canary back from the same
/// revision: the store's compare-and-set lets one apply it; the other's change is a conflict and does
/// nothing (no second audit entry, no second count), and both end on the one rolled-back policy. A
/// replica that acts later on the revision it saw is refused the same way.
/// </summary>
public sealed class RollbackRaceTests(CanaryFixture fixture) : IClassFixture<CanaryFixture>, IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task TwoGateways_RollBackAtOnce_OneApplies_TheOtherIsANoOp()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString,
            ["Serving:Gateway:PolicyResyncInterval"] = "00:00:00",
        };
        await using var a = await fixture.StartGatewayAsync(settings);
        await using var b = await fixture.StartGatewayAsync(settings);
        var set = await Policies.SetAsync(a, """{"weights": {"1": 90, "2": 10}, "rollback": {"baseline": "1", "max_error_rate": 0.05}}""", "canary");
        var revision = set.GetProperty("revision").GetInt64();
        var seenByA = await SeenAsync(a, revision);
        var seenByB = await SeenAsync(b, revision);
        var counterBefore = await MetricsText.SumAsync(a, "serving_gateway_rollbacks_total", "model=\"canary\"");
        var verdict = new RollbackVerdict(new OutcomeCounts(100, 100, 0), "error rate 100% (test)");

        var results = await Task.WhenAll(
            Task.Run(() => a.Service<RollbackMonitor>().RollBackAsync(seenByA, "2", verdict, CancellationToken.None)),
            Task.Run(() => b.Service<RollbackMonitor>().RollBackAsync(seenByB, "2", verdict, CancellationToken.None)));

        Assert.Equal([PolicyChangeStatus.Applied, PolicyChangeStatus.Conflict], results.Select(r => r.Status).Order());

        // A replica that decides later, on the revision it saw before, is a no-op too.
        Assert.Equal(PolicyChangeStatus.Conflict, (await b.Service<RollbackMonitor>().RollBackAsync(seenByB, "2", verdict, CancellationToken.None)).Status);
        Assert.Equal(1, await MetricsText.SumAsync(a, "serving_gateway_rollbacks_total", "model=\"canary\"") - counterBefore);
        foreach (var gateway in new[] { a, b })
        {
            var policy = await Policies.GetAsync(gateway.Admin!, "canary");
            Assert.Equal((revision + 1, "1=100 2=0"), (policy.GetProperty("revision").GetInt64(), Policies.Weights(policy)));
        }

        using var history = JsonDocument.Parse(await b.Admin!.GetStringAsync("/admin/models/canary/policy/history?count=10"));
        Assert.Single(history.RootElement.GetProperty("changes").EnumerateArray(), c => c.GetProperty("who").GetString() == RollbackMonitor.Who);
        Assert.Equal((HttpStatusCode.OK, "1"), await CanaryInfer.RestAsync(b));
    }

    /// <summary>
    /// Redis doesn't answer when a canary fails: the rollback is in force on the gateway at once (before, it "could not
    /// apply", retried every check, and the canary kept failing until Redis was back), and is stored, audited, once Redis
    /// answers again.
    /// </summary>
    [Fact]
    public async Task RedisNotAnswering_RollbackInForceHereAtOnce_StoredOnceRedisAnswers()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000",
            ["Serving:Gateway:PolicyResyncInterval"] = "00:00:00.200",
        };
        await using var a = await fixture.StartGatewayAsync(settings);
        var set = await Policies.SetAsync(a, """{"weights": {"1": 90, "2": 10}, "rollback": {"baseline": "1", "max_error_rate": 0.05}}""", "canary");
        var revision = set.GetProperty("revision").GetInt64();
        var seen = await SeenAsync(a, revision);
        var verdict = new RollbackVerdict(new OutcomeCounts(100, 100, 0), "error rate 100% (test)");

        _redis.Pause();
        try
        {
            var result = await a.Service<RollbackMonitor>().RollBackAsync(seen, "2", verdict, CancellationToken.None);

            Assert.Equal(PolicyChangeStatus.StoreUnavailable, result.Status);
            Assert.Equal("1=100 2=0", WeightsInForce(a));
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal((HttpStatusCode.OK, "1"), await CanaryInfer.RestAsync(a));
            }
        }
        finally
        {
            _redis.Resume();
        }

        // The held rollback is stored once Redis answers again.
        await Poll.UntilAsync(() => JsonDocument.Parse(_redis.Database.HashGet("serving:gateway:policies", "canary").ToString()).RootElement.GetProperty("revision").GetInt64() == revision + 1);

        var policy = await Policies.GetAsync(a.Admin!, "canary");
        Assert.Equal((revision + 1, "1=100 2=0", RollbackMonitor.Who), (policy.GetProperty("revision").GetInt64(), Policies.Weights(policy), policy.GetProperty("updated_by").GetString()));
        using var history = JsonDocument.Parse(await a.Admin!.GetStringAsync("/admin/models/canary/policy/history?count=10"));
        Assert.Single(history.RootElement.GetProperty("changes").EnumerateArray(), c => c.GetProperty("who").GetString() == RollbackMonitor.Who);
        Assert.Equal("1=100 2=0", WeightsInForce(a));
    }

    private static string WeightsInForce(GatewayServer gateway) =>
        string.Join(' ', gateway.Service<TrafficPolicies>().Find("canary")!.Weights.Select(w => $"{w.Version}={w.Weight}"));

    /// <summary>The policy object the gateway has in force once it reached <paramref name="revision"/>.</summary>
    private static async Task<TrafficPolicy> SeenAsync(GatewayServer gateway, long revision)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (gateway.Service<TrafficPolicies>().Find("canary") is { } policy && policy.Revision == revision)
            {
                return policy;
            }

            Assert.True(DateTime.UtcNow < deadline, $"revision {revision} did not reach the gateway within 10 s");
            await Task.Delay(5);
        }
    }
}
