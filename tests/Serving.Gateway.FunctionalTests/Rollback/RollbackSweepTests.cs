using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Rollback;
using Serving.Gateway.Traffic;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Rollback;

/// <summary>
/// The seeded rollback sweep: a stable version and a canary (<see cref="ScriptedVersion"/> workers on real Kestrel) behind
/// real gateways, driven through mixes of answers (failures in bursts or spread thin, only timeouts, only the callers' 4xx,
/// only on gRPC or only on REST, the callers' own short deadlines; the stable failing too) under rollback rules picked at
/// their edges (min_requests 1 or past what comes, max_error_rate from 1% to 100%, exactly the observed rate). After every
/// call the gateway's window of the canary must hold exactly what the calls so far make of it; the canary must be rolled
/// back when the rule holds at the end, never when it held at no point, once at most, with the counts of a moment the
/// rule held; every caller gets what the worker that served it answered; the rollback says what and why (policy,
/// last_rollback, one audit entry, one warning, the counter); no Error is logged. One gateway checks only when told
/// (exact verdicts, and an operator's change of max_error_rate to the very rate observed), one every 50 ms.
/// ROLLBACK_SWEEP_CASES runs longer.
/// </summary>
public sealed class RollbackSweepTests : IAsyncLifetime
{
    private const string Model = "rbsweep";
    private const int Seed = 2718;
    private const string Sticky = "x-user";

    private static readonly ScriptedAnswer[] Failures = [ScriptedAnswer.Internal, ScriptedAnswer.Unavailable, ScriptedAnswer.Timeout, ScriptedAnswer.CallersLongDeadline];
    private static readonly ScriptedAnswer[] CallersDoing = [ScriptedAnswer.BadInput, ScriptedAnswer.NotFound, ScriptedAnswer.Busy, ScriptedAnswer.CallersShortDeadline];
    private static readonly string[] Profiles = ["healthy", "burst", "spread", "timeouts", "callers-only", "grpc-only", "rest-only", "mixed"];

    private ScriptedVersion _stable = null!;
    private ScriptedVersion _canary = null!;

    public async Task InitializeAsync()
    {
        _stable = await ScriptedVersion.StartAsync(Model, "1");
        _canary = await ScriptedVersion.StartAsync(Model, "2");
    }

    public async Task DisposeAsync()
    {
        await _stable.DisposeAsync();
        await _canary.DisposeAsync();
    }

    [Fact]
    public async Task SeededMixes_RolledBackExactlyWhenTheRuleHolds_Once_WithWhatAndWhy()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("ROLLBACK_SWEEP_CASES"), out var n) ? n : 16;
        var logs = new CapturingLoggerProvider();
        var exact = await StartGatewayAsync(logs, "00:01:00");
        var live = await StartGatewayAsync(logs, "00:00:00.050");
        await using (exact)
        await using (live)
        {
            var random = new Random(Seed);
            var problems = new List<string>();
            var verdicts = new List<bool>();
            for (var i = 0; i < cases && problems.Count == 0; i++)
            {
                var gateway = i % 2 == 0 ? exact : live;
                var name = $"case {i} ({(gateway == exact ? "checked when told" : "checked every 50 ms")})";
                problems.AddRange((await RunCaseAsync(gateway, gateway == exact, random, logs, verdicts)).Select(p => $"{name}: {p}"));
            }

            // The seed's cases hold both verdicts (routing is by sticky key, so which calls reach the canary is seeded too).
            if (problems.Count == 0 && (!verdicts.Contains(true) || !verdicts.Contains(false)))
            {
                problems.Add($"the cases' verdicts were all {verdicts.FirstOrDefault()}: the sweep judged nothing");
            }

            problems.AddRange(logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"logged {e.Level} {e.Category}: {e.Message} {e.Exception}"));
            Assert.True(problems.Count == 0, $"seed {Seed}, {cases} cases:\n" + string.Join("\n", problems));
        }
    }

    /// <summary>
    /// Two gateways sharing a real redis-server both route to the failing canary and both watch it: the canary is rolled back
    /// once (one audit entry, one count, one warning; the other gateway's decision, if it made one, is a conflict), both end on
    /// the same rolled-back revision, no caller gets an answer the workers did not give, and a gateway started afterwards
    /// serves the rolled-back policy.
    /// </summary>
    [Fact]
    public async Task TwoGatewaysOnRedis_BothWatchTheCanary_RolledBackOnce_BothAgree_ARestartKeepsIt()
    {
        await using var redis = await RedisServer.StartAsync();
        var logs = new CapturingLoggerProvider();
        var settings = new Dictionary<string, string?> { ["Serving:Gateway:RedisConnectionString"] = redis.ConnectionString };
        long revision;
        var random = new Random(Seed);
        await using (var a = await StartGatewayAsync(logs, "00:00:00.050", settings))
        await using (var b = await StartGatewayAsync(logs, "00:00:00.050", settings))
        {
            revision = (await Policies.SetAsync(a, PolicyJson(50, 0.2, 10), Model)).GetProperty("revision").GetInt64();
            await Poll.UntilAsync(() => Revision(b) == revision);
            var rollbacksBefore = await MetricsText.SumAsync(a, "serving_gateway_rollbacks_total", $"model=\"{Model}\"");
            _stable.Next = ScriptedAnswer.Ok;
            _canary.Next = ScriptedAnswer.Internal;

            for (var i = 0; Revision(a) == revision && Revision(b) == revision; i++)
            {
                Assert.True(i < 2000, "no rollback after 2000 calls");
                var grpc = random.Next(2) == 0;
                var status = await SendAsync(i % 2 == 0 ? a : b, grpc, $"user-{random.Next(1000)}");
                Assert.True(status is 0 or 200 || status == (grpc ? 13 : 500), $"call {i} got {status}");
            }

            await Poll.UntilAsync(() => Revision(a) == revision + 1 && Revision(b) == revision + 1);
            foreach (var gateway in new[] { a, b })
            {
                var policy = await Policies.GetAsync(gateway.Admin!, Model);
                Assert.Equal(("1=100 2=0", RollbackMonitor.Who, "2"), (Policies.Weights(policy), policy.GetProperty("updated_by").GetString(), policy.GetProperty("last_rollback").GetProperty("version").GetString()));
                Assert.Single(await AutoRollbacksSinceAsync(gateway, revision));
            }

            Assert.Equal(1, await MetricsText.SumAsync(a, "serving_gateway_rollbacks_total", $"model=\"{Model}\"") - rollbacksBefore);
            Assert.Equal(1, RolledBackWarnings(logs));
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(i % 2 == 0 ? 0 : 200, await SendAsync(i % 4 < 2 ? a : b, i % 2 == 0, $"user-{i}"));
            }
        }

        await using var restarted = await StartGatewayAsync(logs, "00:00:00.050", settings);
        var kept = await Policies.GetAsync(restarted.Admin!, Model);
        Assert.Equal((revision + 1, "1=100 2=0"), (kept.GetProperty("revision").GetInt64(), Policies.Weights(kept)));
        Assert.Equal(200, await SendAsync(restarted, grpc: false, "user-1"));
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>
    /// An operator changes the policy (sticky header, pin header, shadow, invalid bodies) while the canary fails and its
    /// rollback is being decided: each change is answered 200, 400 or 409 (never a 5xx), an invalid one changes nothing,
    /// the canary is rolled back once and the rollback keeps the operator's settings in force when it applied; a change
    /// based on the revision before it is 409, and one that gives the canary its weight back starts its window empty.
    /// </summary>
    [Fact]
    public async Task OperatorChangesWhileTheRollbackIsDecided_OneRollback_KeepsTheirSettings()
    {
        var logs = new CapturingLoggerProvider();
        await using var gateway = await StartGatewayAsync(logs, "00:00:00.050");
        var random = new Random(Seed);
        var revision = (await Policies.SetAsync(gateway, PolicyJson(50, 0.2, 40), Model)).GetProperty("revision").GetInt64();
        var rollbacksBefore = await MetricsText.SumAsync(gateway, "serving_gateway_rollbacks_total", $"model=\"{Model}\"");
        _stable.Next = ScriptedAnswer.Ok;
        _canary.Next = ScriptedAnswer.Internal;
        string[] extras = ["", "\"pin_header\": \"x-pin\", ", "\"shadow\": {\"version\": \"2\", \"percent\": 50}, ", "\"shadow\": {\"version\": \"1\", \"percent\": 100}, \"pin_header\": \"x-v\", "];
        string[] invalid = ["{\"weights\": {\"1\": 50, \"2\": 40}}", "{\"weights\": {\"1\": 50, \"2\": 50}, \"rollback\": {\"baseline\": \"3\", \"max_error_rate\": 0.2}}", "{\"weights\": {\"1\": 50, \"2\": 50}, \"shadow\": {\"version\": \"9\", \"percent\": 50}}"];
        var traffic = Task.Run(async () =>
        {
            for (var i = 0; gateway.Service<TrafficPolicies>().Find(Model)!.UpdatedBy != RollbackMonitor.Who; i++)
            {
                Assert.True(i < 4000, "no rollback after 4000 calls");
                var grpc = i % 3 == 0;
                var status = await SendAsync(gateway, grpc, $"user-{i % 500}");
                Assert.True(status is 0 or 200 || status == (grpc ? 13 : 500), $"call {i} got {status}");
            }
        });

        while (!traffic.IsCompleted)
        {
            var inForce = await Policies.InForceAsync(gateway, Model);
            var (status, _) = await Policies.PutAsync(gateway.Admin!, Model, invalid[random.Next(invalid.Length)]);
            Assert.Equal(HttpStatusCode.BadRequest, status);

            // Unchanged, unless the rollback came meanwhile.
            var after = await Policies.GetAsync(gateway.Admin!, Model);
            Assert.True(after.GetRawText() == inForce || after.GetProperty("updated_by").GetString() == RollbackMonitor.Who, $"{inForce} became {after}");
            if (after.GetProperty("updated_by").GetString() == RollbackMonitor.Who)
            {
                break; // seen: a change based on it would give the canary its weight back on purpose
            }

            var body = PolicyJson(50, 0.2, 40).Replace("\"rollback\"", $"{extras[random.Next(extras.Length)]}\"revision\": {after.GetProperty("revision").GetInt64()}, \"rollback\"", StringComparison.Ordinal);
            (status, _) = await Policies.PutAsync(gateway.Admin!, Model, body);
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{status} to {body}");
            await Task.Delay(random.Next(5, 40));
        }

        await traffic;
        var policy = await Policies.GetAsync(gateway.Admin!, Model);
        var rolledBack = policy.GetProperty("revision").GetInt64();
        Assert.Equal(("1=100 2=0", RollbackMonitor.Who, Sticky), (Policies.Weights(policy), policy.GetProperty("updated_by").GetString(), policy.GetProperty("sticky_header").GetString()));
        var before = (await AutoRollbacksSinceAsync(gateway, revision)).Single().GetProperty("old");
        foreach (var key in new[] { "pin_header", "shadow" })
        {
            Assert.Equal(JsonSerializer.Serialize(before.GetProperty(key)), JsonSerializer.Serialize(policy.GetProperty(key)));
        }

        await gateway.Service<RollbackMonitor>().NextCheckAsync();
        Assert.Equal(rolledBack, Revision(gateway));
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_rollbacks_total", $"model=\"{Model}\"") - rollbacksBefore);

        // After it: a change based on the revision before is refused; one without a revision gives the canary its weight back, counted afresh.
        var (stale, _) = await Policies.PutAsync(gateway.Admin!, Model, PolicyJson(50, 0.2, 40).Replace("\"rollback\"", $"\"revision\": {rolledBack - 1}, \"rollback\"", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Conflict, stale);
        _canary.Next = ScriptedAnswer.Ok;
        await Policies.SetAsync(gateway, PolicyJson(50, 0.2, 40), Model);
        Assert.Equal(default, gateway.Service<RollbackOutcomes>().Counts(Model, "2"));
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>Rollback:CheckInterval at its edges: 10 ms and 1 min start, just outside either stops the start naming the key.</summary>
    [Theory]
    [InlineData("00:00:00.010", true)]
    [InlineData("00:01:00", true)]
    [InlineData("00:00:00.009", false)]
    [InlineData("00:01:00.001", false)]
    [InlineData("00:00:00", false)]
    public async Task CheckIntervalAtItsEdges_InsideStarts_OutsideStopsTheStartNamingTheKey(string interval, bool starts)
    {
        var logs = new CapturingLoggerProvider();
        if (starts)
        {
            await using var gateway = await StartGatewayAsync(logs, interval);
            await Policies.SetAsync(gateway, PolicyJson(50, 0.5, 1), Model);
            await gateway.Service<RollbackMonitor>().CheckAsync(CancellationToken.None);
            return;
        }

        var refused = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => StartGatewayAsync(logs, interval));
        Assert.Contains("Serving:Gateway:Rollback:CheckInterval must be from 00:00:00.010 to 00:01:00", refused.Message, StringComparison.Ordinal);
    }

    private static long Revision(GatewayServer gateway) => gateway.Service<TrafficPolicies>().Find(Model)?.Revision ?? 0;

    private async Task<List<string>> RunCaseAsync(GatewayServer gateway, bool exact, Random random, CapturingLoggerProvider logs, List<bool> verdicts)
    {
        var problems = new List<string>();
        var calls = random.Next(12, 48);
        var canaryWeight = new[] { 10, 50, 50, 90, 100 }[random.Next(5)];
        var minRequests = new[] { 1, 5, 10, 20, 200 }[random.Next(5)];
        var maxErrorRate = new[] { 0.01, 0.05, 0.2, 0.5, 1.0 }[random.Next(5)];
        var profile = Profiles[random.Next(Profiles.Length)];
        var failShare = new[] { 0.05, 0.2, 0.6, 1.0 }[random.Next(4)];
        var stableFails = random.Next(3) == 0;
        var policy = PolicyJson(canaryWeight, maxErrorRate, minRequests);
        var what = $"{calls} calls, canary {canaryWeight}%, {profile} {failShare:0.##}{(stableFails ? ", stable failing too" : "")}, min_requests {minRequests}, max_error_rate {maxErrorRate}";

        // A clean start: without rollback settings the model's windows go; the next policy lays out new ones.
        await Policies.SetAsync(gateway, """{"weights": {"1": 100, "2": 0}}""", Model);
        var set = await Policies.SetAsync(gateway, policy, Model);
        var revision = set.GetProperty("revision").GetInt64();
        var rollbacksBefore = await MetricsText.SumAsync(gateway, "serving_gateway_rollbacks_total", $"model=\"{Model}\"");
        var excusedBefore = await MetricsText.SumAsync(gateway, "serving_gateway_rollback_excused_total", $"model=\"{Model}\"");
        var warningsBefore = RolledBackWarnings(logs);
        var outcomes = gateway.Service<RollbackOutcomes>();

        // The canary's window after each call it served (what a check may see), from (0, 0).
        var states = new List<OutcomeCounts> { default };
        var burstAt = random.Next(calls);
        var (excused, excusedByCanary) = (0, 0);
        for (var call = 0; call < calls; call++)
        {
            var grpc = random.Next(2) == 0;
            _canary.Next = CanaryAnswer(profile, failShare, grpc, call, burstAt, calls, random);
            _stable.Next = stableFails && random.NextDouble() < failShare ? Failures[random.Next(Failures.Length)] : ScriptedAnswer.Ok;
            var (stableBefore, canaryBefore) = (_stable.Served, _canary.Served);

            var status = await SendAsync(gateway, grpc, $"user-{random.Next(1000)}");

            var served = _canary.Served > canaryBefore ? _canary : _stable.Served > stableBefore ? _stable : null;
            if (served is null)
            {
                problems.Add($"{what}: call {call} reached no worker (answered {status})");
                return problems;
            }

            var sent = ScriptedVersion.Codes(served.Next);
            if (status != (grpc ? sent.Grpc : sent.Http))
            {
                problems.Add($"{what}: call {call} ({(grpc ? "gRPC" : "REST")}) got {status} where version {served.Version} answered {served.Next}");
            }

            var counted = ScriptedVersion.Counted(served.Next);
            excused += counted == "excused" ? 1 : 0;
            excusedByCanary += counted == "excused" && served == _canary ? 1 : 0;
            if (served == _canary && counted is "ok" or "failed")
            {
                var last = states[^1];
                var now = new OutcomeCounts(last.Requests + 1, last.Errors + (counted == "failed" ? 1 : 0), 0);
                states.Add(now);

                // The window holds exactly this once the gateway has counted the call (unless a rollback took the canary's window away).
                await Poll.UntilAsync(() => outcomes.Find(Model) is not { } w || !w.Tracks("2") || w.Counts("2", outcomes.Now) == now);
            }
        }

        var final = states[^1];
        var breaksAtEnd = Breaks(final, minRequests, maxErrorRate);
        var brokeEver = states.Any(s => Breaks(s, minRequests, maxErrorRate));
        what += $"; canary window {final.Errors} of {final.Requests} failed";

        if (exact && !breaksAtEnd && final.Requests > 0 && final.Errors > 0 && random.Next(2) == 0)
        {
            // An operator sets max_error_rate to exactly the rate observed (the windows stay): not above it, no rollback.
            var rate = (double)final.Errors / final.Requests;
            var atRate = await Policies.SetAsync(gateway, PolicyJson(canaryWeight, rate, Math.Min(minRequests, (int)final.Requests)), Model);
            await gateway.Service<RollbackMonitor>().CheckAsync(CancellationToken.None);
            if (gateway.Service<TrafficPolicies>().Find(Model)!.Revision != atRate.GetProperty("revision").GetInt64())
            {
                problems.Add($"{what}: rolled back at max_error_rate {rate.ToString(CultureInfo.InvariantCulture)}, the very rate observed (not above it)");
            }

            what += $"; max_error_rate set to {rate.ToString("R", CultureInfo.InvariantCulture)}";
        }

        await gateway.Service<RollbackMonitor>().CheckAsync(CancellationToken.None);
        var after = await Policies.GetAsync(gateway.Admin!, Model);
        var rolledBack = after.GetProperty("updated_by").GetString() == RollbackMonitor.Who && after.GetProperty("revision").GetInt64() > revision;
        if (breaksAtEnd && !rolledBack)
        {
            problems.Add($"{what}: not rolled back though the rule holds");
        }
        else if (!brokeEver && rolledBack)
        {
            problems.Add($"{what}: rolled back though the rule never held: {after.GetProperty("last_rollback")}");
        }

        verdicts.Add(rolledBack);
        var rollbacks = await MetricsText.SumAsync(gateway, "serving_gateway_rollbacks_total", $"model=\"{Model}\"") - rollbacksBefore;
        var warnings = RolledBackWarnings(logs) - warningsBefore;
        var history = await AutoRollbacksSinceAsync(gateway, revision);
        if ((rollbacks, warnings, history.Count) != (rolledBack ? (1, 1, 1) : (0, 0, 0)))
        {
            problems.Add($"{what}: rolled back {rolledBack}, counted {rollbacks}, warned {warnings} times, audited {history.Count} times");
        }

        if (rolledBack)
        {
            problems.AddRange(CheckRollback(after, history[0], states, minRequests, maxErrorRate).Select(p => $"{what}: {p}"));

            // Once per decision: more checks do nothing, and every caller now gets the stable version.
            await gateway.Service<RollbackMonitor>().CheckAsync(CancellationToken.None);
            _stable.Next = ScriptedAnswer.Ok;
            for (var call = 0; call < 6; call++)
            {
                var canaryBefore = _canary.Served;
                var status = await SendAsync(gateway, call % 2 == 0, $"user-{random.Next(1000)}");
                if (status is not (0 or 200) || _canary.Served != canaryBefore)
                {
                    problems.Add($"{what}: after the rollback a call got {status}, canary served {_canary.Served - canaryBefore}");
                }
            }

            if (gateway.Service<TrafficPolicies>().Find(Model)!.Revision != after.GetProperty("revision").GetInt64())
            {
                problems.Add($"{what}: the policy changed again after the rollback");
            }
        }

        var excusedCounted = await MetricsText.SumAsync(gateway, "serving_gateway_rollback_excused_total", $"model=\"{Model}\"") - excusedBefore;
        // Checked every 50 ms, a rollback may take the canary's window away while such a call is in flight: not counted then.
        if (exact ? excusedCounted != excused : excusedCounted > excused || excusedCounted < excused - excusedByCanary)
        {
            problems.Add($"{what}: {excused} calls ended by the callers' own short deadlines, {excusedCounted} counted excused");
        }

        return problems;
    }

    /// <summary>What the policy and its audit entry say of a rollback: the versions, counts of a moment the rule held, the reason.</summary>
    private static IEnumerable<string> CheckRollback(JsonElement policy, JsonElement change, List<OutcomeCounts> states, int minRequests, double maxErrorRate)
    {
        if (Policies.Weights(policy) != "1=100 2=0" || policy.GetProperty("updated_by").GetString() != RollbackMonitor.Who)
        {
            yield return $"the rolled-back policy is {policy}";
        }

        var last = policy.GetProperty("last_rollback");
        var seen = new OutcomeCounts(last.GetProperty("requests").GetInt64(), last.GetProperty("errors").GetInt64(), 0);
        if ((last.GetProperty("version").GetString(), last.GetProperty("baseline").GetString()) != ("2", "1")
            || !states.Contains(seen) || !Breaks(seen, minRequests, maxErrorRate))
        {
            yield return $"last_rollback {last} is no moment the rule held";
        }

        var reason = change.GetProperty("reason").GetString() ?? "";
        if (reason != last.GetProperty("reason").GetString()
            || !reason.StartsWith($"error rate {(double)seen.Errors / seen.Requests * 100:0.#}% ({seen.Errors} of {seen.Requests} requests", StringComparison.Ordinal)
            || Policies.Weights(change.GetProperty("new")) != "1=100 2=0")
        {
            yield return $"the audit entry {change} does not say what last_rollback {last} says";
        }
    }

    private static bool Breaks(OutcomeCounts counts, int minRequests, double maxErrorRate) => counts.Requests >= minRequests && counts.ErrorRate > maxErrorRate;

    private static ScriptedAnswer CanaryAnswer(string profile, double failShare, bool grpc, int call, int burstAt, int calls, Random random)
    {
        var fails = random.NextDouble() < failShare;
        return profile switch
        {
            "healthy" => ScriptedAnswer.Ok,

            // The failures come together: a run of failShare of the calls from burstAt on.
            "burst" => call >= burstAt && call < burstAt + Math.Max(1, (int)(failShare * calls)) ? Failures[random.Next(Failures.Length)] : ScriptedAnswer.Ok,
            "spread" => fails ? Failures[random.Next(Failures.Length)] : ScriptedAnswer.Ok,
            "timeouts" => fails ? (random.Next(2) == 0 ? ScriptedAnswer.Timeout : ScriptedAnswer.CallersLongDeadline) : ScriptedAnswer.Ok,
            "callers-only" => fails ? CallersDoing[random.Next(CallersDoing.Length)] : ScriptedAnswer.Ok,
            "grpc-only" => fails && grpc ? Failures[random.Next(Failures.Length)] : ScriptedAnswer.Ok,
            "rest-only" => fails && !grpc ? Failures[random.Next(Failures.Length)] : ScriptedAnswer.Ok,
            _ => fails ? (random.Next(2) == 0 ? Failures[random.Next(Failures.Length)] : CallersDoing[random.Next(CallersDoing.Length)]) : ScriptedAnswer.Ok,
        };
    }

    private static string PolicyJson(int canaryWeight, double maxErrorRate, int minRequests) => string.Create(CultureInfo.InvariantCulture,
        $$$"""{"weights": {"1": {{{100 - canaryWeight}}}, "2": {{{canaryWeight}}}}, "sticky_header": "{{{Sticky}}}", "rollback": {"baseline": "1", "max_error_rate": {{{maxErrorRate:R}}}, "min_requests": {{{minRequests}}}, "window_seconds": 3600}}""");

    private Task<GatewayServer> StartGatewayAsync(CapturingLoggerProvider logs, string checkInterval, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>(more ?? [])
        {
            ["Serving:Gateway:Rollback:CheckInterval"] = checkInterval,
            ["Serving:Gateway:PassiveReactivationPeriod"] = "00:00:00", // a version that failed a call keeps its worker
            ["Logging:LogLevel:Serving.Gateway.Rollback"] = "Information",
        };
        return GatewayServer.StartAsync([_stable.Address, _canary.Address], settings, t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
    }

    /// <summary>One infer call with the sticky key; the REST status, or the gRPC status code.</summary>
    private static async Task<int> SendAsync(GatewayServer gateway, bool grpc, string key)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        if (grpc)
        {
            using var call = gateway.Grpc.ModelInferAsync(new ModelInferRequest { ModelName = Model }, new Metadata { { Sticky, key } }, cancellationToken: guard.Token);
            try
            {
                await call.ResponseAsync;
                return 0;
            }
            catch (RpcException e)
            {
                return (int)e.StatusCode;
            }
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Model}/infer")
        {
            Content = new StringContent("""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,1],"data":[1]}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(Sticky, key);
        using var response = await gateway.Http.SendAsync(request, guard.Token);
        await response.Content.ReadAsByteArrayAsync(guard.Token);
        return (int)response.StatusCode;
    }

    private static int RolledBackWarnings(CapturingLoggerProvider logs) => logs.Entries.Count(e =>
        e.Level == LogLevel.Warning && e.Message.StartsWith($"Automatic rollback of {Model} version 2: its traffic went to baseline 1", StringComparison.Ordinal));

    private static async Task<List<JsonElement>> AutoRollbacksSinceAsync(GatewayServer gateway, long revision)
    {
        using var doc = JsonDocument.Parse(await gateway.Admin!.GetStringAsync($"/admin/models/{Model}/policy/history?count=20"));
        return [.. doc.RootElement.GetProperty("changes").EnumerateArray()
            .Where(c => c.GetProperty("who").GetString() == RollbackMonitor.Who && c.GetProperty("new").GetProperty("revision").GetInt64() > revision)
            .Select(c => c.Clone())];
    }
}
