using System.Net;
using System.Text.Json;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Routing;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A model whose only version failed to load on its worker: the gateway's 503 / UNAVAILABLE says why, in the worker's
/// words from its repository index, on every path that can't serve it (infer with and without a version, REST and
/// gRPC, and metadata). It said only "model 'broken' has no ready version", so a caller had to find the worker and
/// its index to learn that the model's file was corrupt.
/// </summary>
public sealed class UnservedVersionReasonTests : IAsyncLifetime
{
    private const string WorkerSays = "UNAVAILABLE: ONNX Runtime could not load model.onnx";

    private TempDirectory? _repository;
    private WorkerServer? _worker;
    private GatewayServer? _gateway;

    private GatewayServer Gateway => _gateway!;

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var broken = Path.Combine(_repository.Path, "broken", "1");
        Directory.CreateDirectory(broken);
        await File.WriteAllTextAsync(Path.Combine(broken, "model.onnx"), "this is not an ONNX model");
        _worker = await WorkerServer.StartAsync(_repository.Path);
        _gateway = await GatewayServer.StartAsync([_worker]);
        await Poll.UntilAsync(() => Task.FromResult(
            Gateway.Service<RoutingState>().Table.TryGetModel("broken", out var m) && m.TryGetVersion("1", out var v) && v.NotServedBecause is not null));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        _repository?.Dispose();
    }

    [Theory]
    [InlineData("/v2/models/broken/infer", "model 'broken' has no ready version (version 1: " + WorkerSays)]
    [InlineData("/v2/models/broken/versions/1/infer", "model 'broken' version 1 has no ready worker: " + WorkerSays)]
    public async Task RestInfer_503_SaysWhatTheWorkerSaid(string path, string expected)
    {
        var (status, _, body) = await Infer.RestAsync(Gateway.Http, path);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith(expected, Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "model 'broken' has no ready version (version 1: " + WorkerSays)]
    [InlineData("1", "model 'broken' version 1 has no ready worker: " + WorkerSays)]
    public async Task GrpcInfer_Unavailable_SaysWhatTheWorkerSaid(string version, string expected)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Infer.GrpcAsync(Gateway.Grpc, Infer.GrpcRequest("broken", version)));

        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.StartsWith(expected, e.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/models/broken", "model 'broken' has no ready version to describe (version 1: " + WorkerSays)]
    [InlineData("/v2/models/broken/versions/1", "model 'broken' version 1 has no ready worker to describe it: " + WorkerSays)]
    public async Task Metadata_503_SaysWhatTheWorkerSaid(string path, string expected)
    {
        using var response = await Gateway.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.StartsWith(expected, Error(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        var e = await Assert.ThrowsAsync<RpcException>(() => Gateway.Grpc.ModelMetadataAsync(
            new ModelMetadataRequest { Name = "broken", Version = path.EndsWith("/1", StringComparison.Ordinal) ? "1" : "" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.StartsWith(expected, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminList_SaysWhyTheVersionIsNotServed()
    {
        using var doc = JsonDocument.Parse(await Gateway.Admin!.GetStringAsync("/admin/models"));
        var models = doc.RootElement.GetProperty("models").EnumerateArray().ToList();

        var broken = models.Single(m => m.GetProperty("name").GetString() == "broken").GetProperty("versions").EnumerateArray().Single();
        Assert.StartsWith(WorkerSays, broken.GetProperty("not_served_because").GetString(), StringComparison.Ordinal);
        var served = models.Single(m => m.GetProperty("name").GetString() == "tabular").GetProperty("versions").EnumerateArray().First();
        Assert.Equal(JsonValueKind.Null, served.GetProperty("not_served_because").ValueKind);
    }

    [Fact]
    public async Task ReadyModelBeside_StillServed()
    {
        var (status, version, body) = await Infer.RestAsync(Gateway.Http);

        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("2", version);
    }

    private static string Error(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("error").GetString()!;
    }
}
