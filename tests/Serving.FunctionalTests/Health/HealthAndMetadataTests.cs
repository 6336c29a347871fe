using System.Net;
using System.Text.Json;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Health;

/// <summary>Server and model health and metadata on REST and gRPC, grpc.health.v1, reflection and /metrics.</summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class HealthAndMetadataTests(SharedWorkerFixture fixture)
{
    [Theory]
    [InlineData("/v2/health/live", HttpStatusCode.OK)]
    [InlineData("/v2/health/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/tabular/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/tabular/versions/1/ready", HttpStatusCode.OK)]
    [InlineData("/v2/models/corrupt/ready", HttpStatusCode.ServiceUnavailable)]
    [InlineData("/v2/models/corrupt/versions/1/ready", HttpStatusCode.ServiceUnavailable)]
    [InlineData("/v2/models/nosuch/ready", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/tabular/versions/5/ready", HttpStatusCode.NotFound)]
    public async Task RestHealth_Path_ExpectedStatus(string path, HttpStatusCode status)
    {
        using var response = await fixture.Server.Http.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
    }

    [Fact]
    public async Task RestServerMetadata_AdvertisesBinaryTensorExtension()
    {
        using var doc = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v2"));
        Assert.Equal("serving", doc.RootElement.GetProperty("name").GetString());
        Assert.Contains("binary_tensor_data", doc.RootElement.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task RestModelMetadata_WithAndWithoutVersion_DescribesTensors()
    {
        using var all = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v2/models/tabular"));
        Assert.Equal(["1", "2"], all.RootElement.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("onnxruntime_onnx", all.RootElement.GetProperty("platform").GetString());
        var input = all.RootElement.GetProperty("inputs")[0];
        Assert.Equal("input", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 30L], input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));

        using var one = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v2/models/digits/versions/1"));
        Assert.Equal(["1"], one.RootElement.GetProperty("versions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([-1L, 10L], one.RootElement.GetProperty("outputs")[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public async Task GrpcHealthAndMetadata_MatchRest()
    {
        var grpc = fixture.Server.Grpc;
        Assert.True((await grpc.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await grpc.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await grpc.ModelReadyAsync(new ModelReadyRequest { Name = "tabular", Version = "2" })).Ready);
        Assert.False((await grpc.ModelReadyAsync(new ModelReadyRequest { Name = "corrupt" })).Ready);
        var server = await grpc.ServerMetadataAsync(new ServerMetadataRequest());
        Assert.Contains("binary_tensor_data", server.Extensions);
        var model = await grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "tabular" });
        Assert.Equal(["1", "2"], model.Versions);
        Assert.Equal([-1L, 2L], model.Outputs[0].Shape);

        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "nosuch" }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>
    /// The metadata of a model or version that failed to load says why, as an infer of it does: it said only "model
    /// 'corrupt' has no ready version to describe", even of version 1 asked for by number. The version is named once (it
    /// was named twice, the loader's reason repeating "model 'corrupt' version 1: ").
    /// </summary>
    [Fact]
    public async Task ModelMetadata_OfAVersionThatFailedToLoad_503SaysWhy_RestAndGrpc()
    {
        const string Why = "model 'corrupt' version 1 failed to load: ONNX Runtime could not load model.onnx: [ErrorCode:InvalidProtobuf]";
        foreach (var path in new[] { "/v2/models/corrupt", "/v2/models/corrupt/versions/1" })
        {
            using var response = await fixture.Server.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.StartsWith(Why, body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        foreach (var version in new[] { "", "1" })
        {
            var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(
                () => fixture.Server.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = "corrupt", Version = version }).ResponseAsync);
            Assert.Equal(Grpc.Core.StatusCode.Unavailable, e.StatusCode);
            Assert.StartsWith(Why, e.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GrpcHealthV1_ServerAndInferenceService_Serving()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(fixture.Server.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "inference.GRPCInferenceService" })).Status);
    }

    [Fact]
    public async Task GrpcReflection_ListsInferenceService()
    {
        var reflection = new ServerReflection.ServerReflectionClient(fixture.Server.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();
        Assert.Contains("inference.GRPCInferenceService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task Metrics_AfterInfer_CountsRequestsByModelVersionProtocol()
    {
        var golden = Serving.Testing.GoldenFile.Load("tabular", "1");
        using (await fixture.Server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(golden.RequestBody())))
        {
        }

        using var metricsClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{fixture.Server.Listeners.MetricsPort}") };
        var text = await metricsClient.GetStringAsync("/metrics");

        Assert.Contains("serving_inference_requests_total{model=\"tabular\",version=\"1\",protocol=\"rest\",code=\"ok\"}", text, StringComparison.Ordinal);
        Assert.Contains("serving_inference_request_duration_seconds_bucket{model=\"tabular\",version=\"1\",protocol=\"rest\"", text, StringComparison.Ordinal);
        Assert.Contains("serving_model_version_state{model=\"corrupt\",version=\"1\",state=\"UNAVAILABLE\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepositoryIndex_ListsStatesAndPathFreeReasons()
    {
        using var response = await fixture.Server.Http.PostAsync("/v2/repository/index", null);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var rows = doc.RootElement.EnumerateArray().ToArray();

        var tabular = rows.Where(r => r.GetProperty("name").GetString() == "tabular").Select(r => r.GetProperty("state").GetString());
        Assert.Equal(["READY", "READY"], tabular);
        var corrupt = rows.Single(r => r.GetProperty("name").GetString() == "corrupt");
        Assert.Equal("UNAVAILABLE", corrupt.GetProperty("state").GetString());
        var reason = corrupt.GetProperty("reason").GetString()!;
        Assert.Contains("ONNX Runtime could not load model.onnx", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp", reason, StringComparison.Ordinal);
        var mismatch = rows.Single(r => r.GetProperty("name").GetString() == "mismatch");
        Assert.Contains("'wrong_name' in model.yaml is not in the ONNX graph", mismatch.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepositoryIndex_ReadyTrue_OnlyReadyVersions_FalseOrEmptyObject_Everything()
    {
        var all = await RepositoryIndexCall.PostAsync(fixture.Server.Http, null);
        var readyOnly = await RepositoryIndexCall.PostAsync(fixture.Server.Http, """{"ready": true}""");
        var readyFalse = await RepositoryIndexCall.PostAsync(fixture.Server.Http, """{"ready": false}""");
        var empty = await RepositoryIndexCall.PostAsync(fixture.Server.Http, " {} ");

        Assert.Equal(HttpStatusCode.OK, readyOnly.Status);
        Assert.Contains(all.Rows, r => r.State == "UNAVAILABLE");
        Assert.Equal(all.Rows.Where(r => r.State == "READY"), readyOnly.Rows);
        Assert.Contains(("tabular", "2", "READY"), readyOnly.Rows);
        Assert.Equal(all.Rows, readyFalse.Rows);
        Assert.Equal(all.Rows, empty.Rows);
    }

    [Theory]
    [MemberData(nameof(RepositoryIndexCall.BadBodies), MemberType = typeof(RepositoryIndexCall))]
    public async Task RepositoryIndex_BadBody_ClearError(string body, HttpStatusCode status, string message)
    {
        var answer = await RepositoryIndexCall.PostAsync(fixture.Server.Http, body);

        Assert.Equal(status, answer.Status);
        Assert.Contains(message, answer.Error, StringComparison.Ordinal);
    }

    /// <summary>Uptime monitors, load balancers and <c>wget --spider</c> probe with HEAD: answered as GET, without the body (it was 405).</summary>
    [Theory]
    [MemberData(nameof(ProbeCall.ModelProbePaths), MemberType = typeof(ProbeCall))]
    public async Task Probe_Head_AnsweredAsGet_WithoutABody(string path, HttpStatusCode expected)
    {
        Assert.Equal((expected, expected, 0), await ProbeCall.HeadAndGetAsync(fixture.Server.Http, path));
    }

    [Theory]
    [InlineData("POST", "/v2/health/ready", "GET, HEAD")]
    [InlineData("DELETE", "/v2/models/tabular/versions/1/ready", "GET, HEAD")]
    [InlineData("HEAD", "/v2/models/tabular", "GET")]
    public async Task Probe_OtherMethod_405_AllowSaysWhich(string method, string path, string allow)
    {
        var (status, allowed, _) = await RestCall.SendAsync(fixture.Server.Http, method, path);

        Assert.Equal((HttpStatusCode.MethodNotAllowed, allow), (status, string.Join(", ", allowed)));
    }

    [Fact]
    public async Task RepositoryIndex_WrongMethod_405WithAllowPost()
    {
        var (status, allow, error) = await RestCall.SendAsync(fixture.Server.Http, "GET", "/v2/repository/index");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal(["POST"], allow);
        Assert.Contains("use POST", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepositoryIndex_Grpc_SameRowsAsRest_ReadyFilter()
    {
        var rest = await RepositoryIndexCall.PostAsync(fixture.Server.Http, null);
        var all = await fixture.Server.Grpc.RepositoryIndexAsync(new RepositoryIndexRequest());
        var ready = await fixture.Server.Grpc.RepositoryIndexAsync(new RepositoryIndexRequest { Ready = true });

        Assert.Equal(rest.Rows.Select(r => (r.Name, r.Version ?? "", r.State)), all.Models.Select(m => (m.Name, m.Version, m.State)));
        Assert.Contains(all.Models, m => m.State == "UNAVAILABLE" && m.Reason.Length > 0);
        Assert.All(ready.Models, m => Assert.Equal("READY", m.State));
        Assert.Equal(all.Models.Count(m => m.State == "READY"), ready.Models.Count);
    }
}
