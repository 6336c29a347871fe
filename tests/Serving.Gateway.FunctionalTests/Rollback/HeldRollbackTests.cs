using System.Net;
using System.Text.Json;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Rollback;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Rollback;

/// <summary>
/// An automatic rollback the policy store could not take (Redis not answering, the policy file not writable) is in force
/// on the gateway at once and "held" until the store takes it. The hold outlives a restart of the gateway (it is kept in
/// the data directory), so the canary does not get traffic again when the store answers: the rollback is stored then,
/// and every replica applies it. Before, the hold lived in memory only: a gateway restarted meanwhile applied the stored,
/// older policy once the store answered, the canary got its weight back on every replica, and the rollback was never
/// stored nor audited.
/// </summary>
public sealed class HeldRollbackTests(CanaryFixture fixture) : IClassFixture<CanaryFixture>, IAsyncLifetime
{
    private const string Policy = """{"weights": {"1": 90, "2": 10}, "rollback": {"baseline": "1", "max_error_rate": 0.05}}""";

    private static readonly RollbackVerdict Verdict = new(new OutcomeCounts(100, 100, 0), "error rate 100% (test)");

    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Redis_GatewayRestartedWhileTheRollbackIsHeld_KeepsIt_StoresItWhenRedisAnswers_TheOtherReplicaAgrees()
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000",
            ["Serving:Gateway:PolicyResyncInterval"] = "00:00:00.200",
        };
        var withData = new Dictionary<string, string?>(settings) { ["Serving:Gateway:DataDirectory"] = data.Path };
        await using var other = await fixture.StartGatewayAsync(settings);
        long revision;
        var a = await fixture.StartGatewayAsync(withData);
        try
        {
            revision = (await Policies.SetAsync(a, Policy, "canary")).GetProperty("revision").GetInt64();
            var seen = await SeenAsync(a, revision);
            await SeenAsync(other, revision);

            _redis.Pause();
            Assert.Equal(PolicyChangeStatus.StoreUnavailable, (await a.Service<RollbackMonitor>().RollBackAsync(seen, "2", Verdict, CancellationToken.None)).Status);
            Assert.Equal("1=100 2=0", WeightsInForce(a));
            var lastKnown = new LastKnownPolicies(data.Path);
            await Poll.UntilAsync(async () => (await lastKnown.LoadAsync(CancellationToken.None)).Policies.Any(p => p.Model == "canary" && p.Weights.Single(w => w.Version == "2").Weight == 0));
        }
        finally
        {
            await a.DisposeAsync();
        }

        // Restarted while Redis still doesn't answer: it serves what it had, the rollback included.
        await using var restarted = await fixture.StartGatewayAsync(withData);
        Assert.Equal("1=100 2=0", WeightsInForce(restarted));
        _redis.Resume();

        // Redis answers: the held rollback is stored (audited as auto-rollback), and both replicas serve it.
        await Poll.UntilAsync(() => StoredRevision() == revision + 1);
        var stored = JsonDocument.Parse(_redis.Database.HashGet("serving:gateway:policies", "canary").ToString()).RootElement;
        Assert.Equal((RollbackMonitor.Who, "2"), (stored.GetProperty("updated_by").GetString(), stored.GetProperty("last_rollback").GetProperty("version").GetString()));
        await Poll.UntilAsync(() => WeightsInForce(restarted) == "1=100 2=0" && WeightsInForce(other) == "1=100 2=0"
            && restarted.Service<TrafficPolicies>().Find("canary")!.Revision == revision + 1 && other.Service<TrafficPolicies>().Find("canary")!.Revision == revision + 1);
        using var history = JsonDocument.Parse(await other.Admin!.GetStringAsync("/admin/models/canary/policy/history?count=10"));
        Assert.Single(history.RootElement.GetProperty("changes").EnumerateArray(), c => c.GetProperty("who").GetString() == RollbackMonitor.Who);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "1"), await CanaryInfer.RestAsync(restarted));
            Assert.Equal((HttpStatusCode.OK, "1"), await CanaryInfer.RestAsync(other));
        }
    }

    [Fact]
    public async Task FileStore_RollbackTheFileCantTake_InForceAtOnce_KeptThroughARestart_StoredOnceTheFileIsWritable()
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Serving:Gateway:DataDirectory"] = data.Path,
            ["Serving:Gateway:PolicyResyncInterval"] = "00:00:00.200",
        };
        long revision;
        var blocker = Path.Combine(data.Path, FileTrafficPolicyStore.PoliciesFile + ".tmp");
        var a = await fixture.StartGatewayAsync(settings);
        try
        {
            revision = (await Policies.SetAsync(a, Policy, "canary")).GetProperty("revision").GetInt64();
            var seen = await SeenAsync(a, revision);

            // The policy file can't be rewritten (its temporary file can't be made: a directory is in the way).
            Directory.CreateDirectory(blocker);
            Assert.Equal(PolicyChangeStatus.StoreUnavailable, (await a.Service<RollbackMonitor>().RollBackAsync(seen, "2", Verdict, CancellationToken.None)).Status);
            Assert.Equal("1=100 2=0", WeightsInForce(a));
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal((HttpStatusCode.OK, "1"), await CanaryInfer.RestAsync(a));
            }
        }
        finally
        {
            await a.DisposeAsync();
        }

        await using var restarted = await fixture.StartGatewayAsync(settings);
        Assert.Equal("1=100 2=0", WeightsInForce(restarted));
        Assert.Equal((HttpStatusCode.OK, "1"), await CanaryInfer.RestAsync(restarted));

        Directory.Delete(blocker);
        await Poll.UntilAsync(() => restarted.Service<TrafficPolicies>().Find("canary")!.Revision == revision + 1);
        var policy = await Policies.GetAsync(restarted.Admin!, "canary");
        Assert.Equal((revision + 1, "1=100 2=0", RollbackMonitor.Who), (policy.GetProperty("revision").GetInt64(), Policies.Weights(policy), policy.GetProperty("updated_by").GetString()));
        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(data.Path, FileTrafficPolicyStore.PoliciesFile)));
        Assert.Equal(revision + 1, file.RootElement.EnumerateArray().Single(p => p.GetProperty("model").GetString() == "canary").GetProperty("revision").GetInt64());
    }

    private long StoredRevision()
    {
        var value = _redis.Database.HashGet("serving:gateway:policies", "canary");
        return value.HasValue ? JsonDocument.Parse(value.ToString()).RootElement.GetProperty("revision").GetInt64() : 0;
    }

    private static string WeightsInForce(GatewayServer gateway) =>
        string.Join(' ', gateway.Service<TrafficPolicies>().Find("canary")!.Weights.Select(w => $"{w.Version}={w.Weight}"));

    /// <summary>The policy object the gateway has in force once it reached <paramref name="revision"/>.</summary>
    private static async Task<TrafficPolicy> SeenAsync(GatewayServer gateway, long revision)
    {
        TrafficPolicy? seen = null;
        await Poll.UntilAsync(() => (seen = gateway.Service<TrafficPolicies>().Find("canary")) is { } p && p.Revision == revision);
        return seen!;
    }
}
