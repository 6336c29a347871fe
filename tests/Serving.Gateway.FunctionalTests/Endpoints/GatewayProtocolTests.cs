using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Health.V1;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Endpoints;

/// <summary>The other Open Inference Protocol paths at the gateway: its own health, and model metadata and readiness across the versions its workers serve.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayProtocolTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("/v2/health/live", HttpStatusCode.OK)]
    [InlineData("/v2/health/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/tabular/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/tabular/versions/1/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/tabular/versions/9/ready", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/nope/ready", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/nope", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/tabular/versions/9", HttpStatusCode.NotFound)]
    public async Task Rest_HealthAndReady(string path, HttpStatusCode expected)
    {
        using var response = await fixture.Gateway.Http.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Rest_ServerMetadata()
    {
        using var doc = JsonDocument.Parse(await fixture.Gateway.Http.GetStringAsync("/v2"));

        Assert.Equal("serving", doc.RootElement.GetProperty("name").GetString());
        Assert.Contains("binary_tensor_data", doc.RootElement.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("classification", doc.RootElement.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Rest_ModelMetadata_AcrossVersions()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 90, "2": 10}}""");

        using var model = JsonDocument.Parse(await fixture.Gateway.Http.GetStringAsync("/v2/models/tabular"));
        using var version = JsonDocument.Parse(await fixture.Gateway.Http.GetStringAsync("/v2/models/tabular/versions/2"));

        Assert.Equal(["1", "2"], model.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("input", model.RootElement.GetProperty("inputs")[0].GetProperty("name").GetString());
        Assert.Equal([-1L, 30L], model.RootElement.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal(["2"], version.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("probabilities", version.RootElement.GetProperty("outputs")[0].GetProperty("name").GetString());
    }

    /// <summary>gRPC health turns NOT_SERVING as REST readiness does when shutdown begins (before, up to a second later, on its next re-check).</summary>
    [Fact]
    public async Task GrpcHealth_NotServingAsSoonAsShutdownBegins()
    {
        await using var worker = await StubWorker.AnsweringAsync("healthy", "1");
        await using var gateway = await StubWorker.GatewayAsync([worker], discoveryInterval: "00:10:00");
        var health = new Health.HealthClient(gateway.Channel);
        await Poll.UntilAsync(async () => (await health.CheckAsync(new HealthCheckRequest())).Status == HealthCheckResponse.Types.ServingStatus.Serving);

        gateway.Service<Serving.Hosting.Health.ReadinessState>().MarkStopping();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await gateway.Http.GetAsync("/v2/health/ready")).StatusCode);
    }

    [Fact]
    public async Task Grpc_HealthMetadataReady()
    {
        var client = fixture.Gateway.Grpc;

        Assert.True((await client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.Equal("serving", (await client.ServerMetadataAsync(new ServerMetadataRequest())).Name);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "tabular" })).Ready);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "tabular", Version = "2" })).Ready);
        var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "tabular" });
        Assert.Equal(["1", "2"], metadata.Versions);
        Assert.Equal("onnxruntime_onnx", metadata.Platform);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        e = await Assert.ThrowsAsync<RpcException>(() => client.ModelReadyAsync(new ModelReadyRequest { Name = "tabular", Version = "9" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task Grpc_HealthCheckService_Serving()
    {
        var health = new Health.HealthClient(fixture.Gateway.Channel);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "inference.GRPCInferenceService" })).Status);
    }

    [Fact]
    public async Task Metrics_CountRequestsByModelVersionArmAndCode()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        var before = await MetricsText.SumAsync(fixture.Gateway, "serving_gateway_requests_total", "model=\"tabular\",version=\"1\",arm=\"weight\",protocol=\"rest\",code=\"200\"");

        await Infer.RestAsync(fixture.Gateway.Http);
        await Infer.GrpcAsync(fixture.Gateway.Grpc);

        Assert.Equal(before + 1, await MetricsText.SumAsync(fixture.Gateway, "serving_gateway_requests_total", "model=\"tabular\",version=\"1\",arm=\"weight\",protocol=\"rest\",code=\"200\""));
        Assert.True(await MetricsText.SumAsync(fixture.Gateway, "serving_gateway_requests_total", "protocol=\"grpc\",code=\"OK\"") >= 1);
        Assert.True(await MetricsText.SumAsync(fixture.Gateway, "serving_gateway_policy_revision", "model=\"tabular\"") >= 1);
        Assert.Equal(100, await MetricsText.SumAsync(fixture.Gateway, "serving_gateway_policy_weight", "model=\"tabular\",version=\"1\""));
    }

    [Fact]
    public async Task MetricsPort_AnswersMetricsOnly()
    {
        using var response = await fixture.Gateway.Metrics.GetAsync("/v2/health/live");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task MetricsPort_GrpcInferPath_NotFound_ThoughItSkipsRouting()
    {
        // ModelInfer goes to its endpoint before routing; the port checks still come first.
        using var content = new ByteArrayContent([0, 0, 0, 0, 0]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        using var response = await fixture.Gateway.Metrics.PostAsync("/inference.GRPCInferenceService/ModelInfer", content);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task RepositoryIndex_VersionsAcrossWorkers_ReadyFilter()
    {
        var all = await RepositoryIndexCall.PostAsync(fixture.Gateway.Http, null);
        var readyOnly = await RepositoryIndexCall.PostAsync(fixture.Gateway.Http, """{"ready": true}""");

        Assert.Equal(HttpStatusCode.OK, all.Status);
        Assert.Contains(("tabular", "1", "READY"), all.Rows);
        Assert.Contains(("tabular", "2", "READY"), all.Rows);
        Assert.Equal(all.Rows.Where(r => r.State == "READY"), readyOnly.Rows);
        Assert.Equal(all.Rows.OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => long.Parse(r.Version!, System.Globalization.CultureInfo.InvariantCulture)), all.Rows);
    }

    [Theory]
    [MemberData(nameof(RepositoryIndexCall.BadBodies), MemberType = typeof(RepositoryIndexCall))]
    public async Task RepositoryIndex_BadBody_ClearError(string body, HttpStatusCode status, string message)
    {
        var answer = await RepositoryIndexCall.PostAsync(fixture.Gateway.Http, body);

        Assert.Equal(status, answer.Status);
        Assert.Contains(message, answer.Error, StringComparison.Ordinal);
    }

    /// <summary>Probes that ask with HEAD: answered as GET, without the body (it was 405).</summary>
    [Theory]
    [MemberData(nameof(ProbeCall.ModelProbePaths), MemberType = typeof(ProbeCall))]
    public async Task Probe_Head_AnsweredAsGet_WithoutABody(string path, HttpStatusCode expected)
    {
        Assert.Equal((expected, expected, 0), await ProbeCall.HeadAndGetAsync(fixture.Gateway.Http, path));
    }

    [Theory]
    [InlineData("POST", "/v2/health/live", "GET, HEAD")]
    [InlineData("PUT", "/v2/models/tabular/ready", "GET, HEAD")]
    [InlineData("HEAD", "/v2", "GET")]
    public async Task Probe_OtherMethod_405_AllowSaysWhich(string method, string path, string allow)
    {
        var (status, allowed, _) = await RestCall.SendAsync(fixture.Gateway.Http, method, path);

        Assert.Equal((HttpStatusCode.MethodNotAllowed, allow), (status, string.Join(", ", allowed)));
    }

    [Fact]
    public async Task RepositoryIndex_WrongMethod_405WithAllowPost()
    {
        var (status, allow, _) = await RestCall.SendAsync(fixture.Gateway.Http, "GET", "/v2/repository/index");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal(["POST"], allow);
    }

    [Fact]
    public async Task RestError_QuotesAndNonAsciiReadableInTheRawBody()
    {
        using var response = await fixture.Gateway.Http.PostAsync("/v2/models/nope/infer", new StringContent("{}"));

        var raw = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("""{"error":"unknown model 'nope'"}""", raw);
    }

    [Theory]
    [InlineData("/v2/models/tabular/config")]
    [InlineData("/v2/models/tabular/versions/2/config")]
    public async Task ModelConfig_AskedOfAWorker_PassedOn(string path)
    {
        using var response = await fixture.Gateway.Http.GetAsync(path);

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("tabular", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal(64, doc.RootElement.GetProperty("max_batch_size").GetInt32());
        Assert.Equal("TYPE_FP32", doc.RootElement.GetProperty("input")[0].GetProperty("data_type").GetString());
    }

    [Theory]
    [InlineData("/v2/models/nope/config", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/tabular/versions/9/config", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/..%2Fetc/config", HttpStatusCode.BadRequest)]
    public async Task ModelConfig_UnknownModelOrVersion_AnsweredByTheGateway(string path, HttpStatusCode status)
    {
        var (actual, _, error) = await RestCall.SendAsync(fixture.Gateway.Http, "GET", path);

        Assert.Equal(status, actual);
        Assert.NotNull(error);
    }

    [Fact]
    public async Task Statistics_SumOfBothWorkers_CountsWhatWentThroughTheGateway()
    {
        var before = await InferenceCountAsync(fixture.Gateway.Http, "/v2/models/tabular/versions/1/stats");
        var body = GoldenFile.Load("tabular", "1").RequestBody();
        for (var i = 0; i < 6; i++)
        {
            using var response = await fixture.Gateway.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var rows = GoldenFile.Load("tabular", "1").InputShape[0];
        var gateway = await InferenceCountAsync(fixture.Gateway.Http, "/v2/models/tabular/versions/1/stats");
        var a = await InferenceCountAsync(fixture.WorkerA.Http, "/v2/models/tabular/versions/1/stats");
        var b = await InferenceCountAsync(fixture.WorkerB.Http, "/v2/models/tabular/versions/1/stats");

        Assert.Equal(before + (6 * rows), gateway);
        Assert.Equal(a + b, gateway);
    }

    [Fact]
    public async Task Statistics_AllModelsAndOneModel_EveryVersion()
    {
        foreach (var path in new[] { "/v2/models/stats", "/v2/models/tabular/stats" })
        {
            using var doc = JsonDocument.Parse(await fixture.Gateway.Http.GetStringAsync(path));
            var keys = doc.RootElement.GetProperty("model_stats").EnumerateArray().Select(s => $"{s.GetProperty("name").GetString()}/{s.GetProperty("version").GetString()}");
            Assert.Equal(["tabular/1", "tabular/2"], keys);
        }

        var (status, _, _) = await RestCall.SendAsync(fixture.Gateway.Http, "GET", "/v2/models/nope/stats");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    private static async Task<long> InferenceCountAsync(HttpClient http, string path)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(path));
        return Assert.Single(doc.RootElement.GetProperty("model_stats").EnumerateArray()).GetProperty("inference_count").GetInt64();
    }

    [Fact]
    public async Task Grpc_TritonExtensions_ConfigStatisticsIndex()
    {
        var client = fixture.Gateway.Grpc;

        var config = (await client.ModelConfigAsync(new ModelConfigRequest { Name = "tabular", Version = "2" })).Config;
        Assert.Equal((64, ConfigDataType.TypeFp32), (config.MaxBatchSize, config.Input[0].DataType));
        var missing = await Assert.ThrowsAsync<RpcException>(() => client.ModelConfigAsync(new ModelConfigRequest { Name = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        var stats = await client.ModelStatisticsAsync(new ModelStatisticsRequest { Name = "tabular", Version = "1" });
        var a = await fixture.WorkerA.Grpc.ModelStatisticsAsync(new ModelStatisticsRequest { Name = "tabular", Version = "1" });
        var b = await fixture.WorkerB.Grpc.ModelStatisticsAsync(new ModelStatisticsRequest { Name = "tabular", Version = "1" });
        Assert.Equal(a.ModelStats[0].InferenceCount + b.ModelStats[0].InferenceCount, Assert.Single(stats.ModelStats).InferenceCount);

        var index = await client.RepositoryIndexAsync(new RepositoryIndexRequest { Ready = true });
        Assert.Equal(["tabular/1", "tabular/2"], index.Models.Select(m => $"{m.Name}/{m.Version}"));
    }

    [Fact]
    public async Task ModelControl_NotAtTheGateway_SaysWhereToGo()
    {
        var (status, _, error) = await RestCall.SendAsync(fixture.Gateway.Http, "POST", "/v2/repository/models/tabular/unload");
        var grpc = await Assert.ThrowsAsync<RpcException>(() => fixture.Gateway.Grpc.RepositoryModelUnloadAsync(new RepositoryModelUnloadRequest { ModelName = "tabular" }).ResponseAsync);

        Assert.Equal(HttpStatusCode.NotImplemented, status);
        Assert.Contains("each worker's /v2/repository/models/<model>/load|unload", error, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unimplemented, grpc.StatusCode);
        Assert.Contains("admin token", grpc.Status.Detail, StringComparison.Ordinal);
        Assert.True((await fixture.Gateway.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = "tabular", Version = "1" })).Ready);
    }
}
