using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Rollback;
using Serving.Gateway.Traffic;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Rollback;

/// <summary>
/// Automatic rollback and the callers' own deadlines, through a real gateway in front of real workers: a deadline
/// expiry whose budget was shorter than the baseline needs is the caller's doing and doesn't count against a version
/// (anonymous callers with a 1 µs Triton timeout or a 1 µs grpc-timeout got a healthy canary rolled back); a canary too
/// slow for budgets the baseline meets is still rolled back. Nothing is timed: the tests count calls and wait for checks.
/// </summary>
public sealed class CallerDeadlineRollbackTests(CanaryFixture fixture) : IClassFixture<CanaryFixture>
{
    private const int MinRequests = 20;
    private static readonly string Rollback = $$"""{"baseline": "1", "max_error_rate": 0.05, "min_requests": {{MinRequests}}, "window_seconds": 60}""";

    [Fact]
    public async Task HealthyCanary_CallersWithTinyDeadlines_RestTimeoutParameter_GrpcTimeout_GrpcTimeoutParameter_NeverRolledBack()
    {
        await using var gateway = await fixture.StartGatewayAsync();
        var set = await Policies.SetAsync(gateway, $$"""{"weights": {"1": 50, "2": 50}, "rollback": {{Rollback}}}""");
        var excusedBefore = await ExcusedAsync(gateway, "2");
        var expiredBefore = await CanaryExpiriesAsync(gateway);
        var rollbacksBefore = await MetricsText.SumAsync(gateway, "serving_gateway_rollbacks_total", "model=\"tabular\"");
        var rawCall = RawGrpc.Frame(Infer.GrpcRequest().ToByteArray());

        for (var i = 0; i < 3 * MinRequests; i++)
        {
            // Callers who keep to a sane budget: the baseline's answers tell what it needs.
            Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);

            // Triton's timeout parameter, 1 µs, in the REST body: only the worker reads it. Its clock starts once the body is
            // read, so a request that finds the instance idle within that microsecond runs, as Triton's would (seen in CI
            // on a fresh clone: 200); one that doesn't is 504, marked the caller's.
            using (var rest = await gateway.Http.PostAsync("/v2/models/tabular/infer", new StringContent("""{"parameters":{"timeout":1},""" + Infer.RestBody[1..], Encoding.UTF8, "application/json")))
            {
                if (rest.StatusCode != HttpStatusCode.OK)
                {
                    Assert.Equal(HttpStatusCode.GatewayTimeout, rest.StatusCode);
                    Assert.StartsWith("caller; budget_us=", rest.Headers.GetValues(CallerDeadlineMark.Header).Single(), StringComparison.Ordinal);
                }
            }

            // A grpc-timeout of 1 µs from a caller that doesn't cancel at its own deadline.
            var (status, message) = await RawGrpc.SendWithHeaderAsync(gateway.Listeners.GrpcPort, rawCall, "grpc-timeout", "1u");
            Assert.True(status == (int)StatusCode.DeadlineExceeded, $"{(StatusCode)status}: {message}");

            // Triton's timeout parameter over gRPC, inside a long grpc-timeout: DEADLINE_EXCEEDED, or an answer when the
            // instance was idle within the microsecond, as above.
            var withParameter = Infer.GrpcRequest();
            withParameter.Parameters["timeout"] = new InferParameter { Int64Param = 1 };
            try
            {
                await Infer.GrpcAsync(gateway.Grpc, withParameter);
            }
            catch (RpcException e)
            {
                Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
            }
        }

        await gateway.Service<RollbackMonitor>().NextCheckAsync();

        var policy = await Policies.GetAsync(gateway.Admin!);
        Assert.Equal((set.GetProperty("revision").GetInt64(), "1=50 2=50"), (policy.GetProperty("revision").GetInt64(), Policies.Weights(policy)));
        Assert.Equal(0, await MetricsText.SumAsync(gateway, "serving_gateway_rollbacks_total", "model=\"tabular\"") - rollbacksBefore);
        Assert.Equal(0, gateway.Service<RollbackOutcomes>().Counts("tabular", "2").Errors);

        // Every expiry the canary got was excused, and counted as such; it got its share of the 180 (about half).
        var expired = await CanaryExpiriesAsync(gateway) - expiredBefore;
        Assert.True(expired >= MinRequests, $"the canary got {expired} expiries");
        Assert.Equal(expired, await ExcusedAsync(gateway, "2") - excusedBefore);
    }

    [Fact]
    public async Task SlowCanary_CallersBudgetTheBaselineMeets_StillRolledBack()
    {
        // Version 3 waits 3 s in its queue before it runs; callers give it 1.5 s (X-Serving-Timeout-Ms, Triton's timeout
        // parameter over REST and gRPC, a grpc-timeout), which the baseline (version 1) meets. With 500 ms the premise broke
        // once on a machine at load 12 (the baseline's p99 passed it, so 6 of the canary's expiries were excused).
        await using var slow = await Workers.StartTabularVersion3Async("  max_queue_delay_us: 3000000\n  max_queue_size: 64\n");
        await using var gateway = await GatewayServer.StartAsync([fixture.Worker, slow.Worker], new Dictionary<string, string?> { ["Serving:Gateway:Rollback:CheckInterval"] = "00:00:00.050" });
        await Poll.UntilAsync(() => gateway.Service<Serving.Gateway.Routing.RoutingState>().Table.TryGetModel("tabular", out var m) && m.TryGetVersion("3", out var v) && v.IsReady);
        var set = await Policies.SetAsync(gateway, """{"weights": {"1": 50, "3": 50}, "rollback": {"baseline": "1", "max_error_rate": 0.05, "min_requests": 10, "window_seconds": 60}}""");
        var excusedBefore = await ExcusedAsync(gateway, "3");

        var canaryExpiries = 0;
        for (var i = 0; gateway.Service<TrafficPolicies>().Find("tabular")!.Revision == set.GetProperty("revision").GetInt64(); i++)
        {
            Assert.True(i < 200, "no rollback after 200 rounds of calls");
            var rest = RestWithTimeoutAsync(gateway, header: true);
            var body = RestWithTimeoutAsync(gateway, header: false);
            var grpc = GrpcWithTimeoutAsync(gateway);
            var grpcTimeout = GrpcTimeoutAsync(gateway);
            // Version 3 answers a round whose four calls all went to it (1 in 16): 4 × 16 rows make a full batch of 64,
            // which goes at once, delay or not (seen in CI). Its expiries are what rolls it back.
            foreach (var (status, version) in await Task.WhenAll(rest, body, grpc, grpcTimeout))
            {
                Assert.True(status == HttpStatusCode.OK ? version is "1" or "3" : status == HttpStatusCode.GatewayTimeout, $"{status} {version}");
                canaryExpiries += status == HttpStatusCode.GatewayTimeout ? 1 : 0;
            }
        }

        var policy = await Policies.GetAsync(gateway.Admin!);
        Assert.Equal(("1=100 3=0", "3"), (Policies.Weights(policy), policy.GetProperty("last_rollback").GetProperty("version").GetString()));
        // The window held at least min_requests of the canary's calls, some of them answered (a full batch goes at once,
        // seen in CI: 7 expiries among them); its errors were expiries the test saw, none excused.
        var reason = policy.GetProperty("last_rollback").GetProperty("reason").GetString()!;
        var counts = Regex.Match(reason, @"^error rate .* \((\d+) of (\d+) requests ");
        Assert.True(counts.Success, reason);
        var (errors, requests) = (int.Parse(counts.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(counts.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.True(requests >= 10 && errors >= 1 && canaryExpiries >= errors, $"{reason}; the test saw {canaryExpiries} expiries");
        Assert.Equal(0, await ExcusedAsync(gateway, "3") - excusedBefore);
    }

    // 1.5 s: X-Serving-Timeout-Ms, or Triton's timeout parameter in the body. The status and the version that answered.
    private static async Task<(HttpStatusCode, string?)> RestWithTimeoutAsync(GatewayServer gateway, bool header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer")
        {
            Content = new StringContent(header ? Infer.RestBody : """{"parameters":{"timeout":1500000},""" + Infer.RestBody[1..], Encoding.UTF8, "application/json"),
        };
        if (header)
        {
            request.Headers.Add("X-Serving-Timeout-Ms", "1500");
        }

        using var response = await gateway.Http.SendAsync(request);
        await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Headers.TryGetValues("x-serving-model-version", out var v) ? v.Single() : null);
    }

    // 1.5 s as Triton's timeout parameter over gRPC (the call's own deadline is long: a client cancels at its deadline,
    // and a call its caller left is not counted). DEADLINE_EXCEEDED is reported as 504.
    private static async Task<(HttpStatusCode, string?)> GrpcWithTimeoutAsync(GatewayServer gateway)
    {
        var request = Infer.GrpcRequest();
        request.Parameters["timeout"] = new InferParameter { Int64Param = 1_500_000 };
        try
        {
            return (HttpStatusCode.OK, (await Infer.GrpcAsync(gateway.Grpc, request)).Version);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
        {
            return (HttpStatusCode.GatewayTimeout, null);
        }
    }

    // 1.5 s as a grpc-timeout, from a caller that doesn't cancel at its own deadline: the worker's grpc-dotnet ends the
    // call at that deadline itself (no mark), and the gateway takes the budget from the grpc-timeout.
    private static async Task<(HttpStatusCode, string?)> GrpcTimeoutAsync(GatewayServer gateway)
    {
        var (status, message) = await RawGrpc.SendWithHeaderAsync(gateway.Listeners.GrpcPort, RawGrpc.Frame(Infer.GrpcRequest().ToByteArray()), "grpc-timeout", "1500m");
        return status switch
        {
            (int)StatusCode.OK => (HttpStatusCode.OK, "1"), // the canary never answers in time
            (int)StatusCode.DeadlineExceeded => (HttpStatusCode.GatewayTimeout, null),
            _ => throw new InvalidOperationException($"{(StatusCode)status}: {message}"),
        };
    }

    private static Task<double> ExcusedAsync(GatewayServer gateway, string version) =>
        MetricsText.SumAsync(gateway, "serving_gateway_rollback_excused_total", $"model=\"tabular\",version=\"{version}\"");

    private static async Task<double> CanaryExpiriesAsync(GatewayServer gateway) =>
        await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"tabular\",version=\"2\",arm=\"weight\",protocol=\"rest\",code=\"504\"")
        + await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"tabular\",version=\"2\",arm=\"weight\",protocol=\"grpc\",code=\"DeadlineExceeded\"");
}
