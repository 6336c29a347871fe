using System.Net;
using System.Text.Json;
using Serving.FunctionalTests.Batching;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Health;

/// <summary>Triton's model configuration extension at a real worker: what Triton's clients and perf_analyzer read.</summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class ModelConfigTests(SharedWorkerFixture fixture)
{
    [Theory]
    [InlineData("/v2/models/tabular/config")]
    [InlineData("/v2/models/tabular/versions/1/config")]
    public async Task Tabular_TritonModelConfig_BatchInputsOutputsBatchingInstances(string path)
    {
        using var doc = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync(path));
        var root = doc.RootElement;

        Assert.Equal("tabular", root.GetProperty("name").GetString());
        Assert.Equal("onnxruntime_onnx", root.GetProperty("platform").GetString());
        Assert.Equal("onnxruntime", root.GetProperty("backend").GetString());
        Assert.Equal(64, root.GetProperty("max_batch_size").GetInt32());
        Assert.True(root.GetProperty("version_policy").TryGetProperty("all", out _));
        var input = Assert.Single(root.GetProperty("input").EnumerateArray());
        Assert.Equal(("input", "TYPE_FP32"), (input.GetProperty("name").GetString(), input.GetProperty("data_type").GetString()));
        Assert.Equal([30], input.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64())); // without the batch dimension
        var output = Assert.Single(root.GetProperty("output").EnumerateArray());
        Assert.Equal([2], output.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal("labels.txt", output.GetProperty("label_filename").GetString());
        var batching = root.GetProperty("dynamic_batching");
        Assert.Equal(0, batching.GetProperty("max_queue_delay_microseconds").GetInt64()); // the sample model.yaml's: no delay
        Assert.Equal(1024, batching.GetProperty("default_queue_policy").GetProperty("max_queue_size").GetInt32());
        var group = Assert.Single(root.GetProperty("instance_group").EnumerateArray());
        Assert.Equal(("KIND_CPU", 1), (group.GetProperty("kind").GetString(), group.GetProperty("count").GetInt32()));
    }

    [Fact]
    public async Task NoBatchDimension_FullDims_NoDynamicBatching()
    {
        using var doc = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v2/models/fixed/config"));
        var root = doc.RootElement;

        Assert.Equal(0, root.GetProperty("max_batch_size").GetInt32());
        Assert.Equal([4], root.GetProperty("input")[0].GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()));
        Assert.False(root.TryGetProperty("dynamic_batching", out _));
    }

    [Fact]
    public async Task BytesTensors_TypeString_VariableDimsMinusOne()
    {
        using var doc = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v2/models/identity_bytes/config"));
        var input = doc.RootElement.GetProperty("input")[0];

        Assert.Equal("TYPE_STRING", input.GetProperty("data_type").GetString());
        Assert.Equal([-1], input.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()));
    }

    [Theory]
    [InlineData("/v2/models/nope/config", HttpStatusCode.NotFound, "unknown model 'nope'")]
    [InlineData("/v2/models/tabular/versions/9/config", HttpStatusCode.NotFound, "has no version '9'")]
    [InlineData("/v2/models/corrupt/versions/1/config", HttpStatusCode.ServiceUnavailable, "model 'corrupt' version 1 is not loaded (ONNX Runtime could not load model.onnx")]
    [InlineData("/v2/models/..%2Fetc/config", HttpStatusCode.BadRequest, "not valid")]
    public async Task UnknownOrBroken_ClearError(string path, HttpStatusCode status, string message)
    {
        var (actual, _, error) = await RestCall.SendAsync(fixture.Server.Http, "GET", path);

        Assert.Equal(status, actual);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongMethod_405WithAllowGet()
    {
        var (status, allow, _) = await RestCall.SendAsync(fixture.Server.Http, "POST", "/v2/models/tabular/config");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal(["GET"], allow);
    }

    [Fact]
    public async Task ServerMetadata_ListsTheExtension()
    {
        using var doc = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v2"));

        Assert.Contains("model_configuration", doc.RootElement.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task QueueDelayAndDefaultTimeout_FromModelYaml()
    {
        var (server, repo) = await BatchingServer.StartAsync("  max_queue_delay_us: 700\n  default_timeout_ms: 25\n", "tabular");
        using var _ = repo;
        await using var __ = server;

        using var doc = JsonDocument.Parse(await server.Http.GetStringAsync("/v2/models/tabular/config"));
        var batching = doc.RootElement.GetProperty("dynamic_batching");

        Assert.Equal(700, batching.GetProperty("max_queue_delay_microseconds").GetInt64());
        Assert.Equal(25_000, batching.GetProperty("default_queue_policy").GetProperty("default_timeout_microseconds").GetInt64());
    }

    [Fact]
    public async Task Grpc_Tabular_TritonModelConfigMessage()
    {
        var response = await fixture.Server.Grpc.ModelConfigAsync(new ModelConfigRequest { Name = "tabular", Version = "1" });
        var config = response.Config;

        Assert.Equal(("tabular", "onnxruntime_onnx", "onnxruntime", 64), (config.Name, config.Platform, config.Backend, config.MaxBatchSize));
        Assert.NotNull(config.VersionPolicy.All);
        Assert.Equal(ConfigDataType.TypeFp32, config.Input[0].DataType);
        Assert.Equal([30L], config.Input[0].Dims);
        Assert.Equal([2L], config.Output[0].Dims);
        Assert.Equal("labels.txt", config.Output[0].LabelFilename);
        Assert.Equal(1024u, config.DynamicBatching.DefaultQueuePolicy.MaxQueueSize);
        Assert.Equal((ModelInstanceGroup.Types.Kind.Cpu, 1), (config.InstanceGroup[0].Kind, config.InstanceGroup[0].Count));
    }

    [Fact]
    public async Task Grpc_BytesModel_TypeString_NoBatchModel_NoDynamicBatching()
    {
        var bytes = (await fixture.Server.Grpc.ModelConfigAsync(new ModelConfigRequest { Name = "identity_bytes" })).Config;
        var fixedModel = (await fixture.Server.Grpc.ModelConfigAsync(new ModelConfigRequest { Name = "fixed" })).Config;

        Assert.Equal(ConfigDataType.TypeString, bytes.Input[0].DataType);
        Assert.Equal(0, fixedModel.MaxBatchSize);
        Assert.Null(fixedModel.DynamicBatching);
    }

    [Theory]
    [InlineData("nope", "", Grpc.Core.StatusCode.NotFound)]
    [InlineData("tabular", "9", Grpc.Core.StatusCode.NotFound)]
    [InlineData("", "", Grpc.Core.StatusCode.InvalidArgument)]
    [InlineData("corrupt", "1", Grpc.Core.StatusCode.Unavailable)]
    public async Task Grpc_UnknownOrBroken_StatusCode(string name, string version, Grpc.Core.StatusCode status)
    {
        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => fixture.Server.Grpc.ModelConfigAsync(new ModelConfigRequest { Name = name, Version = version }).ResponseAsync);

        Assert.Equal(status, error.StatusCode);
    }
}
