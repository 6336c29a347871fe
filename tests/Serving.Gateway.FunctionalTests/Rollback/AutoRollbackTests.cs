using System.Net;
using System.Text.Json;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Rollback;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Rollback;

/// <summary>
/// Automatic rollback through a real gateway in front of a real worker: a canary that fails at run
/// time loses its traffic to the baseline once it has min_requests outcomes in the window, durably
/// and once; a healthy canary and a canary that only gets the callers' bad input keep theirs.
/// Nothing is timed: the tests wait for the monitor's next whole check, or for the policy to change
/// within a generous bound of requests.
/// </summary>
public sealed class AutoRollbackTests(CanaryFixture fixture) : IClassFixture<CanaryFixture>
{
    private const int MinRequests = 20;
    private static readonly string RollbackSection = $$"""{"baseline": "1", "max_error_rate": 0.05, "min_requests": {{MinRequests}}, "window_seconds": 60}""";
    private static readonly string Canary9010 = $$"""{"weights": {"1": 90, "2": 10}, "sticky_header": "x-user-id", "rollback": {{RollbackSection}}}""";

    [Fact]
    public async Task BrokenCanary_RolledBackToTheBaseline_Once_Persisted_ThenEveryRequestSucceedsOnTheBaseline()
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path };
        await using (var gateway = await fixture.StartGatewayAsync(settings))
        {
            var counterBefore = await RollbacksAsync(gateway);
            var set = await Policies.SetAsync(gateway, Canary9010, "canary");
            var canaryFailures = 0;
            for (var i = 0; gateway.Service<TrafficPolicies>().Find("canary")!.Revision == set.GetProperty("revision").GetInt64(); i++)
            {
                Assert.True(i < 5000, "no rollback after 5000 requests");
                var rest = await CanaryInfer.RestAsync(gateway);
                var grpc = await CanaryInfer.GrpcAsync(gateway);
                canaryFailures += (rest.Status == HttpStatusCode.InternalServerError ? 1 : 0) + (grpc.Status == StatusCode.Internal ? 1 : 0);
                Assert.True(rest.Status is HttpStatusCode.OK or HttpStatusCode.InternalServerError, $"REST {rest.Status}");
                Assert.True(grpc.Status is StatusCode.OK or StatusCode.Internal, $"gRPC {grpc.Status}");
            }

            Assert.True(canaryFailures >= MinRequests, $"rolled back after {canaryFailures} canary failures");
            var policy = await Policies.GetAsync(gateway.Admin!, "canary");
            Assert.Equal("1=100 2=0", Policies.Weights(policy));
            Assert.Equal((RollbackMonitor.Who, "x-user-id", "1"), (policy.GetProperty("updated_by").GetString(), policy.GetProperty("sticky_header").GetString(), policy.GetProperty("rollback").GetProperty("baseline").GetString()));
            var last = policy.GetProperty("last_rollback");
            Assert.Equal(("2", "1", 1.0), (last.GetProperty("version").GetString(), last.GetProperty("baseline").GetString(), last.GetProperty("error_rate").GetDouble()));
            Assert.InRange(last.GetProperty("requests").GetInt64(), MinRequests, canaryFailures);
            Assert.Equal(1, await RollbacksAsync(gateway) - counterBefore);

            var change = (await HistoryAsync(gateway)).First();
            Assert.Equal(RollbackMonitor.Who, change.GetProperty("who").GetString());
            Assert.StartsWith("error rate 100% (", change.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal(("1=90 2=10", "1=100 2=0"), (Policies.Weights(change.GetProperty("old")), Policies.Weights(change.GetProperty("new"))));

            for (var i = 0; i < 40; i++)
            {
                Assert.Equal((HttpStatusCode.OK, "1"), await CanaryInfer.RestAsync(gateway));
                Assert.Equal((StatusCode.OK, "1"), await CanaryInfer.GrpcAsync(gateway));
            }

            // Once per incident: further checks find nothing to do.
            await gateway.Service<RollbackMonitor>().NextCheckAsync();
            Assert.Equal(policy.GetProperty("revision").GetInt64(), gateway.Service<TrafficPolicies>().Find("canary")!.Revision);
            Assert.Equal(1, await RollbacksAsync(gateway) - counterBefore);
        }

        await using var restarted = await fixture.StartGatewayAsync(settings);
        var stored = await Policies.GetAsync(restarted.Admin!, "canary");
        Assert.Equal(("1=100 2=0", "2"), (Policies.Weights(stored), stored.GetProperty("last_rollback").GetProperty("version").GetString()));
        Assert.Equal((HttpStatusCode.OK, "1"), await CanaryInfer.RestAsync(restarted));
    }

    [Fact]
    public async Task CanaryWhoseOnlyWorkerDies_RolledBack_ThenEveryRequestSucceedsOnTheBaseline()
    {
        // Version 3 of tabular lives on a worker of its own, which is killed.
        await using var canary = await Workers.StartTabularVersion3Async();
        var canaryWorker = canary.Worker;
        await using var gateway = await GatewayServer.StartAsync([fixture.Worker, canaryWorker], new Dictionary<string, string?> { ["Serving:Gateway:Rollback:CheckInterval"] = "00:00:00.050" });
        await UntilAsync(() => gateway.Service<RoutingState>().Table.TryGetModel("tabular", out var m) && m.TryGetVersion("3", out var v) && v.IsReady);
        var set = await Policies.SetAsync(gateway, $$"""{"weights": {"1": 90, "3": 10}, "rollback": {{RollbackSection}}}""");

        await Workers.KillAsync(canaryWorker);
        var failures = 0;
        for (var i = 0; gateway.Service<TrafficPolicies>().Find("tabular")!.Revision == set.GetProperty("revision").GetInt64(); i++)
        {
            Assert.True(i < 5000, "no rollback after 5000 requests");
            var (status, version, body) = await Infer.RestAsync(gateway.Http);
            Assert.True(status == HttpStatusCode.OK ? version == "1" : status == HttpStatusCode.ServiceUnavailable, $"{status} {version} {body}");
            failures += status == HttpStatusCode.OK ? 0 : 1;
        }

        var policy = await Policies.GetAsync(gateway.Admin!);
        Assert.Equal(("1=100 3=0", "3"), (Policies.Weights(policy), policy.GetProperty("last_rollback").GetProperty("version").GetString()));
        Assert.True(failures >= MinRequests, $"rolled back after {failures} failures");
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal((HttpStatusCode.OK, "1"), ((await Infer.RestAsync(gateway.Http)).Status, (await Infer.GrpcAsync(gateway.Grpc)).Version));
        }
    }

    [Fact]
    public async Task HealthyCanary_SameTraffic_NeverRolledBack()
    {
        await using var gateway = await fixture.StartGatewayAsync();
        var counterBefore = await RollbacksAsync(gateway, "tabular");
        var set = await Policies.SetAsync(gateway, Canary9010, "tabular");
        var outcomes = gateway.Service<RollbackOutcomes>();

        for (var i = 0; outcomes.Counts("tabular", "2").Requests < 2 * MinRequests; i++)
        {
            Assert.True(i < 5000, "the canary got too few requests");
            Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
            await Infer.GrpcAsync(gateway.Grpc);
        }

        await gateway.Service<RollbackMonitor>().NextCheckAsync();

        Assert.Equal(0, outcomes.Counts("tabular", "2").Errors);
        var policy = await Policies.GetAsync(gateway.Admin!, "tabular");
        Assert.Equal((set.GetProperty("revision").GetInt64(), "1=90 2=10"), (policy.GetProperty("revision").GetInt64(), Policies.Weights(policy)));
        Assert.Equal(JsonValueKind.Null, policy.GetProperty("last_rollback").ValueKind);
        Assert.Equal(0, await RollbacksAsync(gateway, "tabular") - counterBefore);

        // The admin list shows each version's window: the canary's is what the check judged.
        using var models = JsonDocument.Parse(await gateway.Admin!.GetStringAsync("/admin/models"));
        var versions = models.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "tabular").GetProperty("versions");
        var window = versions.EnumerateArray().Single(v => v.GetProperty("version").GetString() == "2").GetProperty("rollback_window");
        Assert.Equal(0, window.GetProperty("errors").GetInt64());
        Assert.True(window.GetProperty("requests").GetInt64() >= 2 * MinRequests, window.ToString());
    }

    [Fact]
    public async Task PolicyChange_CanarysRequestsCountFromTheFirst_NotFromTheNextCheck_WeightZeroAndBack_StartsClean()
    {
        // No check runs during the test: only the policy changes lay the windows out.
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Serving:Gateway:Rollback:CheckInterval"] = "00:01:00" });
        var outcomes = gateway.Service<RollbackOutcomes>();
        await Policies.SetAsync(gateway, $$"""{"weights": {"1": 0, "2": 100}, "rollback": {{RollbackSection}}}""", "canary");

        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, (await CanaryInfer.RestAsync(gateway)).Status);
        }

        // Counted from the first: before, they went uncounted until the next check laid the windows out (up to CheckInterval).
        Assert.Equal(new OutcomeCounts(10, 10, 0), outcomes.Counts("canary", "2"));

        await Policies.SetAsync(gateway, $$"""{"weights": {"1": 50, "2": 50}, "rollback": {{RollbackSection}}}""", "canary");
        Assert.Equal(new OutcomeCounts(10, 10, 0), outcomes.Counts("canary", "2"));

        // Weight 0 and back between two checks: the old incident is gone.
        await Policies.SetAsync(gateway, $$"""{"weights": {"1": 100, "2": 0}, "rollback": {{RollbackSection}}}""", "canary");
        await Policies.SetAsync(gateway, $$"""{"weights": {"1": 50, "2": 50}, "rollback": {{RollbackSection}}}""", "canary");
        Assert.Equal(default, outcomes.Counts("canary", "2"));
    }

    [Fact]
    public async Task CallersBadInput_ToTheCanary_NeverTriggersIt()
    {
        await using var gateway = await fixture.StartGatewayAsync();
        var set = await Policies.SetAsync(gateway, $$"""{"weights": {"1": 0, "2": 100}, "rollback": {{RollbackSection}}}""", "canary");
        await gateway.Service<RollbackMonitor>().NextCheckAsync();
        var rejectedBefore = await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"canary\",version=\"2\",arm=\"weight\"");

        for (var i = 0; i < 3 * MinRequests; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await CanaryInfer.RestAsync(gateway, valid: false)).Status);
            Assert.Equal(StatusCode.InvalidArgument, (await CanaryInfer.GrpcAsync(gateway, valid: false)).Status);
        }

        await gateway.Service<RollbackMonitor>().NextCheckAsync();

        // Every bad request went to version 2 by weight, and none of them counts against it.
        Assert.Equal(6 * MinRequests, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"canary\",version=\"2\",arm=\"weight\"") - rejectedBefore);
        Assert.NotNull(gateway.Service<RollbackOutcomes>().Find("canary"));
        Assert.Equal(default, gateway.Service<RollbackOutcomes>().Counts("canary", "2"));
        var policy = await Policies.GetAsync(gateway.Admin!, "canary");
        Assert.Equal((set.GetProperty("revision").GetInt64(), "1=0 2=100"), (policy.GetProperty("revision").GetInt64(), Policies.Weights(policy)));
    }

    [Theory]
    [InlineData("application/grpc-web")]
    [InlineData("application/grpcx")]
    public async Task CallersNonGrpcContentType_ToTheCanary_415_NeverTriggersIt(string contentType)
    {
        // The worker refuses such a call (415 with grpc-status INTERNAL): anonymous callers failed a canary into rollback.
        await using var gateway = await fixture.StartGatewayAsync();
        var set = await Policies.SetAsync(gateway, $$"""{"weights": {"1": 0, "2": 100}, "rollback": {{RollbackSection}}}""", "canary");
        await gateway.Service<RollbackMonitor>().NextCheckAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Listeners.GrpcPort}") };
        var message = Google.Protobuf.MessageExtensions.ToByteArray(new Serving.Protocol.Inference.ModelInferRequest { ModelName = "canary" });
        var framed = new byte[5 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), message.Length);
        message.CopyTo(framed, 5);

        for (var i = 0; i < 3 * MinRequests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/inference.GRPCInferenceService/ModelInfer")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(framed),
            };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            request.Headers.TryAddWithoutValidation("TE", "trailers");
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }

        await gateway.Service<RollbackMonitor>().NextCheckAsync();

        Assert.Equal(default, gateway.Service<RollbackOutcomes>().Counts("canary", "2"));
        var policy = await Policies.GetAsync(gateway.Admin!, "canary");
        Assert.Equal((set.GetProperty("revision").GetInt64(), "1=0 2=100"), (policy.GetProperty("revision").GetInt64(), Policies.Weights(policy)));
    }

    [Theory]
    [InlineData("""{"baseline": "3", "max_error_rate": 0.05}""", "rollback baseline '3' is not one of the versions in weights")]
    [InlineData("""{"max_error_rate": 0.05}""", "rollback baseline is required")]
    [InlineData("""{"baseline": "1"}""", "rollback max_error_rate is required")]
    [InlineData("""{"baseline": "1", "max_error_rate": 0}""", "rollback max_error_rate must be greater than 0 and at most 1 (got 0)")]
    [InlineData("""{"baseline": "1", "max_error_rate": 1.5}""", "rollback max_error_rate must be greater than 0 and at most 1 (got 1.5)")]
    [InlineData("""{"baseline": "1", "max_error_rate": 0.05, "min_requests": 0}""", "rollback min_requests must be from 1 to 1000000 (got 0)")]
    [InlineData("""{"baseline": "1", "max_error_rate": 0.05, "window_seconds": 4}""", "rollback window_seconds must be from 5 to 3600 (got 4)")]
    [InlineData("""{"baseline": "1", "max_error_rate": 0.05, "window_seconds": 3601}""", "rollback window_seconds must be from 5 to 3600 (got 3601)")]
    [InlineData("""{"baseline": "1", "max_error_rate": 0.05, "max_p99_ms": -5}""", "rollback max_p99_ms must be from 0 (off) to 600000 (got -5)")]
    [InlineData("""{"baseline": "1", "max_eror_rate": 0.05}""", "max_eror_rate")]
    public async Task InvalidRollbackSettings_400_WithTheReason_OldPolicyStays(string rollback, string reason)
    {
        await using var gateway = await fixture.StartGatewayAsync();
        var old = await Policies.SetAsync(gateway, """{"weights": {"1": 100, "2": 0}}""", "canary");

        var (status, body) = await Policies.PutAsync(gateway.Admin!, "canary", $$"""{"weights": {"1": 90, "2": 10}, "rollback": {{rollback}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, body.GetProperty("error").GetString(), StringComparison.Ordinal);
        var now = await Policies.GetAsync(gateway.Admin!, "canary");
        Assert.Equal((old.GetProperty("revision").GetInt64(), "1=100 2=0"), (now.GetProperty("revision").GetInt64(), Policies.Weights(now)));
        Assert.Equal(JsonValueKind.Null, now.GetProperty("rollback").ValueKind);
    }

    [Fact]
    public async Task Cli_SetWithRollback_GetShowsIt_IncompleteOptionsRefused()
    {
        await using var gateway = await fixture.StartGatewayAsync();
        string[] connection = ["--admin", gateway.Admin!.BaseAddress!.ToString(), "--token", GatewayServer.AdminToken];

        var (code, _, error) = await ServingCli.RunAsync(["traffic", "set", "canary", "1=90", "2=10", "--rollback-baseline", "1", "--max-error-rate", "0.05", "--min-requests", "50", "--window", "30", .. connection]);
        Assert.True(code == 0, error);
        (code, var output, _) = await ServingCli.RunAsync(["traffic", "get", "canary", .. connection]);

        Assert.Equal(0, code);
        var rollback = JsonDocument.Parse(output).RootElement.GetProperty("rollback");
        Assert.Equal(("1", 0.05, 50, 30, 0), (rollback.GetProperty("baseline").GetString(), rollback.GetProperty("max_error_rate").GetDouble(),
            rollback.GetProperty("min_requests").GetInt32(), rollback.GetProperty("window_seconds").GetInt32(), rollback.GetProperty("max_p99_ms").GetInt32()));

        (code, _, error) = await ServingCli.RunAsync(["traffic", "set", "canary", "1=90", "2=10", "--rollback-baseline", "1", .. connection]);
        Assert.Equal((2, true), (code, error.Contains("--rollback-baseline needs --max-error-rate", StringComparison.Ordinal)));
        (code, _, error) = await ServingCli.RunAsync(["traffic", "set", "canary", "1=90", "2=10", "--rollback-baseline", "3", "--max-error-rate", "0.05", .. connection]);
        Assert.Equal((1, true), (code, error.Contains("rollback baseline '3' is not one of the versions in weights", StringComparison.Ordinal)));
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 10 s");
            await Task.Delay(10);
        }
    }

    private static Task<double> RollbacksAsync(GatewayServer gateway, string model = "canary") =>
        MetricsText.SumAsync(gateway, "serving_gateway_rollbacks_total", $"model=\"{model}\"");

    private static async Task<List<JsonElement>> HistoryAsync(GatewayServer gateway)
    {
        using var doc = JsonDocument.Parse(await gateway.Admin!.GetStringAsync("/admin/models/canary/policy/history?count=5"));
        return [.. doc.RootElement.GetProperty("changes").EnumerateArray().Select(e => e.Clone())];
    }
}
