using System.Net;
using System.Text;
using Grpc.Core;
using StatusCode = Grpc.Core.StatusCode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Rollback;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Rollback;

/// <summary>
/// Automatic rollback while versions come and go under it (<see cref="ScriptedVersion"/> workers behind a real gateway):
/// a rollback only needs its baseline ready. A canary whose version was removed from its worker, a shadow that is not
/// ready, another version with weight that is not ready: none of them may keep a failing canary's traffic where it is.
/// A baseline that is not ready does (a rollback never goes to a version that can't answer): said once as an error, and
/// done once the baseline is back.
/// </summary>
public sealed class RollbackReadinessTests : IAsyncLifetime
{
    private const string Model = "rbready";
    private const string Rule = "\"rollback\": {\"baseline\": \"1\", \"max_error_rate\": 0.05, \"min_requests\": 5, \"window_seconds\": 3600}";

    private readonly ScriptedVersion[] _versions = new ScriptedVersion[3];
    private readonly CapturingLoggerProvider _logs = new();
    private GatewayServer _gateway = null!;

    public async Task InitializeAsync()
    {
        for (var i = 0; i < _versions.Length; i++)
        {
            _versions[i] = await ScriptedVersion.StartAsync(Model, (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        _gateway = await GatewayServer.StartAsync(
            _versions.Select(v => v.Address),
            new Dictionary<string, string?>
            {
                ["Serving:Gateway:Rollback:CheckInterval"] = "00:00:00.050",
                ["Serving:Gateway:PassiveReactivationPeriod"] = "00:00:00",
                ["Serving:Gateway:DiscoveryInterval"] = "00:00:00.100",
            },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(_logs)));
        await Poll.UntilAsync(() => _versions.All(v => Route(v.Version) is { IsReady: true }));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        foreach (var version in _versions)
        {
            await version.DisposeAsync();
        }
    }

    /// <summary>The canary's version is removed from its worker (its index no longer lists it): its calls fail, and it is rolled back.</summary>
    [Fact]
    public async Task CanaryRemovedFromItsWorker_RolledBack()
    {
        var set = await Policies.SetAsync(_gateway, $$"""{"weights": {"1": 50, "2": 50}, {{Rule}}}""", Model);
        _versions[1].Worker.Listed = false;
        await Poll.UntilAsync(() => Route("2") is null);

        var failed = await CallUntilRolledBackAsync(set);

        Assert.Equal(("1=100 2=0 3=0", "2"), await PolicyAsync());
        Assert.True(failed >= 5, $"rolled back after {failed} failed calls");
        AssertNoError();
    }

    /// <summary>The policy's shadow version is not ready: the failing canary is rolled back all the same, the shadow setting stays.</summary>
    [Fact]
    public async Task ShadowNotReady_FailingCanaryRolledBack_ShadowStays()
    {
        var set = await Policies.SetAsync(_gateway, $$"""{"weights": {"1": 50, "2": 50}, "shadow": {"version": "3", "percent": 100}, {{Rule}}}""", Model);
        _versions[2].Worker.Ready = false;
        await Poll.UntilAsync(() => Route("3") is { IsReady: false });
        _versions[1].Next = ScriptedAnswer.Internal;

        await CallUntilRolledBackAsync(set);

        Assert.Equal(("1=100 2=0 3=0", "2"), await PolicyAsync());
        Assert.Equal("3", _gateway.Service<TrafficPolicies>().Find(Model)!.Shadow?.Version);
        AssertNoError();
    }

    /// <summary>
    /// Two canaries fail, one of them because it is not ready: each is rolled back in turn. Before, each rollback kept the
    /// other canary's weight and was refused for it ("not ready"), so neither ever was.
    /// </summary>
    [Fact]
    public async Task TwoCanariesFailing_OneNotReady_BothRolledBack()
    {
        var set = await Policies.SetAsync(_gateway, $$"""{"weights": {"1": 60, "2": 20, "3": 20}, {{Rule}}}""", Model);
        var before = await MetricsText.SumAsync(_gateway, "serving_gateway_rollbacks_total", $"model=\"{Model}\"");
        _versions[1].Next = ScriptedAnswer.Internal;
        _versions[2].Worker.Ready = false;
        await Poll.UntilAsync(() => Route("3") is { IsReady: false });

        for (var i = 0; _gateway.Service<TrafficPolicies>().Find(Model)!.Weights.Single(w => w.Version == "1").Weight != 100; i++)
        {
            Assert.True(i < 2000, $"not both rolled back after 2000 calls: {await PolicyAsync()}");
            await RestAsync();
        }

        Assert.Equal("1=100 2=0 3=0", (await PolicyAsync()).Weights);
        Assert.Equal(2, await MetricsText.SumAsync(_gateway, "serving_gateway_rollbacks_total", $"model=\"{Model}\"") - before);
        Assert.Equal(set.GetProperty("revision").GetInt64() + 2, _gateway.Service<TrafficPolicies>().Find(Model)!.Revision);
        AssertNoError();
    }

    /// <summary>The baseline is not ready: no rollback to it, one error line (not one per check); once it is back, the rollback is done.</summary>
    [Fact]
    public async Task BaselineNotReady_NoRollbackToIt_SaidOnce_DoneWhenItIsBack()
    {
        var set = await Policies.SetAsync(_gateway, $$"""{"weights": {"1": 50, "2": 50}, {{Rule}}}""", Model);
        _versions[1].Next = ScriptedAnswer.Internal;
        _versions[0].Worker.Ready = false;
        await Poll.UntilAsync(() => Route("1") is { IsReady: false });
        var outcomes = _gateway.Service<RollbackOutcomes>();
        for (var i = 0; outcomes.Counts(Model, "2").Errors < 20; i++)
        {
            Assert.True(i < 2000, "the canary got too few calls");
            await RestAsync();
        }

        var monitor = _gateway.Service<RollbackMonitor>();
        for (var i = 0; i < 5; i++)
        {
            await monitor.NextCheckAsync();
        }

        Assert.Equal(set.GetProperty("revision").GetInt64(), _gateway.Service<TrafficPolicies>().Find(Model)!.Revision);
        var errors = _logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 1 && errors[0].Message.Contains("could not apply", StringComparison.Ordinal)
            && errors[0].Message.Contains("rollback baseline 1 of model 'rbready' is not ready on any healthy worker", StringComparison.Ordinal),
            string.Join("\n", errors.Select(e => e.Message)));

        // Nor a warning per check: the service's "change refused" line is not said again for each retry.
        Assert.True(_logs.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("refused", StringComparison.Ordinal)) <= 1,
            string.Join("\n", _logs.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message).Take(5)));

        _versions[0].Worker.Ready = true;
        await Poll.UntilAsync(() => _gateway.Service<TrafficPolicies>().Find(Model)!.Revision > set.GetProperty("revision").GetInt64());
        Assert.Equal(("1=100 2=0 3=0", "2"), await PolicyAsync());
        Assert.Single(_logs.Entries, e => e.Level >= LogLevel.Error);
    }

    /// <summary>
    /// Calls of the incident that fail slowly are still in flight when the canary, rolled back, gets its weight again (the
    /// operator deployed a fix): their failures end after, and must not count against the canary's new window. Before,
    /// they were counted in the window the version had at their end, the new one, and rolled the fixed canary back again.
    /// </summary>
    [Fact]
    public async Task SlowFailuresOfTheIncident_EndingAfterTheCanaryGotItsWeightBack_DontCountAgainstIt()
    {
        var policy = $$"""{"weights": {"1": 50, "2": 50}, "sticky_header": "x-user", {{Rule}}}""";
        var set = await Policies.SetAsync(_gateway, policy, Model);
        var routed = _gateway.Service<TrafficPolicies>().Find(Model)!;
        var toCanary = Enumerable.Range(0, 1000).Select(i => $"user-{i}").Where(k => routed.PickVersion(StickyBuckets.Of(Model, k)) == "2").Take(5).ToList();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _versions[1].Next = ScriptedAnswer.Internal;
        _versions[1].Hold = gate.Task;
        var held = toCanary.Select(RestAsync).ToList();
        await Poll.UntilAsync(() => _versions[1].Worker.Calls == held.Count);
        _versions[1].Hold = Task.CompletedTask;
        await CallUntilRolledBackAsync(set);

        _versions[1].Next = ScriptedAnswer.Ok;
        var back = (await Policies.SetAsync(_gateway, policy, Model)).GetProperty("revision").GetInt64();
        var outcomes = _gateway.Service<RollbackOutcomes>();
        Assert.Equal(default, outcomes.Counts(Model, "2"));
        gate.SetResult();
        foreach (var call in held)
        {
            Assert.Equal(500, await call);
        }

        await _gateway.Service<RollbackMonitor>().NextCheckAsync();
        await _gateway.Service<RollbackMonitor>().NextCheckAsync();
        Assert.Equal(default, outcomes.Counts(Model, "2"));
        Assert.Equal((back, "1=50 2=50 3=0"), (_gateway.Service<TrafficPolicies>().Find(Model)!.Revision, (await PolicyAsync()).Weights));
        AssertNoError();
    }

    /// <summary>
    /// The canary's only worker dies under REST and gRPC traffic: its calls fail (502/503, UNAVAILABLE), it is rolled back
    /// once, every call after gets the baseline, and nothing is logged as an error (a dead worker is a warning).
    /// </summary>
    [Fact]
    public async Task CanaryWorkerDies_UnderRestAndGrpc_RolledBackOnce_EveryCallAfterAnswered()
    {
        var set = await Policies.SetAsync(_gateway, $$"""{"weights": {"1": 50, "2": 50}, {{Rule}}}""", Model);
        var before = await MetricsText.SumAsync(_gateway, "serving_gateway_rollbacks_total", $"model=\"{Model}\"");
        await _versions[1].Worker.KillAsync();
        for (var i = 0; _gateway.Service<TrafficPolicies>().Find(Model)!.Revision == set.GetProperty("revision").GetInt64(); i++)
        {
            Assert.True(i < 2000, "no rollback after 2000 calls");
            if (i % 2 == 0)
            {
                await RestAsync();
            }
            else
            {
                Assert.True(await GrpcAsync() is StatusCode.OK or StatusCode.Unavailable, $"call {i}");
            }
        }

        Assert.Equal(("1=100 2=0 3=0", "2"), await PolicyAsync());
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(200, await RestAsync());
            Assert.Equal(StatusCode.OK, await GrpcAsync());
        }

        await _gateway.Service<RollbackMonitor>().NextCheckAsync();
        Assert.Equal(1, await MetricsText.SumAsync(_gateway, "serving_gateway_rollbacks_total", $"model=\"{Model}\"") - before);
        AssertNoError();
    }

    private async Task<StatusCode> GrpcAsync()
    {
        using var call = _gateway.Grpc.ModelInferAsync(new Serving.Protocol.Inference.ModelInferRequest { ModelName = Model }, deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            await call.ResponseAsync;
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private VersionRoute? Route(string version) =>
        _gateway.Service<RoutingState>().Table.TryGetModel(Model, out var model) && model.TryGetVersion(version, out var route) ? route : null;

    /// <summary>REST calls until the policy moves on from <paramref name="set"/>; how many failed (5xx).</summary>
    private async Task<int> CallUntilRolledBackAsync(System.Text.Json.JsonElement set)
    {
        var failed = 0;
        for (var i = 0; _gateway.Service<TrafficPolicies>().Find(Model)!.Revision == set.GetProperty("revision").GetInt64(); i++)
        {
            Assert.True(i < 2000, $"no rollback after 2000 calls; logged: {string.Join("\n", _logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message))}");
            failed += await RestAsync() >= 500 ? 1 : 0;
        }

        return failed;
    }

    private async Task<int> RestAsync() => await RestAsync(null);

    private async Task<int> RestAsync(string? stickyKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Model}/infer")
        {
            Content = new StringContent("""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,1],"data":[1]}]}""", Encoding.UTF8, "application/json"),
        };
        if (stickyKey is not null)
        {
            request.Headers.Add("x-user", stickyKey);
        }

        using var response = await _gateway.Http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable, $"{response.StatusCode}");
        return (int)response.StatusCode;
    }

    /// <summary>The weights in force (every version, missing ones at 0) and the last rollback's version.</summary>
    private async Task<(string Weights, string? LastRolledBack)> PolicyAsync()
    {
        var policy = await Policies.GetAsync(_gateway.Admin!, Model);
        var weights = string.Join(" ", _versions.Select(v => $"{v.Version}={(policy.GetProperty("weights").TryGetProperty(v.Version, out var w) ? w.GetInt32() : 0)}"));
        return (weights, policy.GetProperty("last_rollback") is { ValueKind: System.Text.Json.JsonValueKind.Object } last ? last.GetProperty("version").GetString() : null);
    }

    private void AssertNoError()
    {
        var errors = _logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
