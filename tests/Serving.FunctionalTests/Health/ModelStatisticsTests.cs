using System.Net;
using System.Text.Json;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Health;

/// <summary>Triton's statistics extension at a real worker of its own (so the counts are this test's alone).</summary>
public sealed class ModelStatisticsTests : IAsyncLifetime
{
    private TempDirectory _repository = null!;
    private WorkerServer _server = null!;

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.TestModels, "fixed"), Path.Combine(_repository.Path, "fixed"));
        _server = await WorkerServer.StartAsync(_repository.Path);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _repository.Dispose();
    }

    [Fact]
    public async Task Requests_CountedBySuccessFailureRowsAndBatchSize()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var rows in new[] { 1, 2, 4 })
        {
            using var ok = await _server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(Body(rows, 30)));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var bad = await _server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(Body(1, 29)));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var stat = await StatAsync("/v2/models/tabular/versions/1/stats", "1");

        Assert.Equal(7, stat.GetProperty("inference_count").GetInt64());
        Assert.Equal(3, stat.GetProperty("execution_count").GetInt64()); // one request at a time: a batch each
        Assert.InRange(stat.GetProperty("last_inference").GetInt64(), before, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var inference = stat.GetProperty("inference_stats");
        Assert.Equal(3, Count(inference, "success"));
        Assert.True(Ns(inference, "success") > 0);
        Assert.Equal(1, Count(inference, "fail"));
        Assert.Equal(3, Count(inference, "queue"));
        Assert.Equal(3, Count(inference, "compute_infer"));
        Assert.True(Ns(inference, "compute_infer") > 0);
        Assert.True(Ns(inference, "success") >= Ns(inference, "compute_infer"));
        var sizes = stat.GetProperty("batch_stats").EnumerateArray().Select(b => (b.GetProperty("batch_size").GetInt32(), Count(b, "compute_infer"))).ToArray();
        Assert.Equal([(1, 1L), (2, 1L), (4, 1L)], sizes);

        var untouched = await StatAsync("/v2/models/tabular/versions/2/stats", "2");
        Assert.Equal(0, untouched.GetProperty("inference_count").GetInt64());
        Assert.Equal(0, untouched.GetProperty("last_inference").GetInt64());
    }

    [Fact]
    public async Task ModelWithoutBatchDimension_OneInferencePerRequest()
    {
        using var ok = await _server.Http.PostAsync("/v2/models/fixed/infer", new StringContent("""{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,3,4]}]}"""));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        var stat = await StatAsync("/v2/models/fixed/stats", "1");

        Assert.Equal(1, stat.GetProperty("inference_count").GetInt64());
        Assert.Equal(1, stat.GetProperty("execution_count").GetInt64());
        Assert.Equal(1, stat.GetProperty("batch_stats")[0].GetProperty("batch_size").GetInt32());
    }

    [Fact]
    public async Task AllModels_EveryLoadedVersion_OneModel_ItsVersions()
    {
        using var all = JsonDocument.Parse(await _server.Http.GetStringAsync("/v2/models/stats"));
        using var tabular = JsonDocument.Parse(await _server.Http.GetStringAsync("/v2/models/tabular/stats"));

        Assert.Equal(["fixed/1", "tabular/1", "tabular/2"], Names(all));
        Assert.Equal(["tabular/1", "tabular/2"], Names(tabular));
    }

    [Theory]
    [InlineData("GET", "/v2/models/nope/stats", HttpStatusCode.NotFound)]
    [InlineData("GET", "/v2/models/tabular/versions/9/stats", HttpStatusCode.NotFound)]
    [InlineData("GET", "/v2/models/..%2Fetc/stats", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/v2/models/tabular/stats", HttpStatusCode.MethodNotAllowed)]
    public async Task UnknownOrWrongMethod_ClearError(string method, string path, HttpStatusCode status)
    {
        var (actual, _, error) = await RestCall.SendAsync(_server.Http, method, path);

        Assert.Equal(status, actual);
        Assert.NotNull(error);
    }

    private async Task<JsonElement> StatAsync(string path, string version)
    {
        using var doc = JsonDocument.Parse(await _server.Http.GetStringAsync(path));
        var stat = Assert.Single(doc.RootElement.GetProperty("model_stats").EnumerateArray());
        Assert.Equal(version, stat.GetProperty("version").GetString());
        return stat.Clone();
    }

    private static string Body(int rows, int width) =>
        $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[{{rows}},{{width}}],"data":[{{string.Join(",", Enumerable.Repeat("0.5", rows * width))}}]}]}""";

    private static long Count(JsonElement parent, string name) => parent.GetProperty(name).GetProperty("count").GetInt64();

    private static long Ns(JsonElement parent, string name) => parent.GetProperty(name).GetProperty("ns").GetInt64();

    private static string[] Names(JsonDocument doc) =>
        [.. doc.RootElement.GetProperty("model_stats").EnumerateArray().Select(s => $"{s.GetProperty("name").GetString()}/{s.GetProperty("version").GetString()}")];

    [Fact]
    public async Task Grpc_SameCountsAsRest_AllModelsWithoutAName()
    {
        foreach (var rows in new[] { 1, 3 })
        {
            using var ok = await _server.Http.PostAsync("/v2/models/tabular/versions/2/infer", new StringContent(Body(rows, 30)));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var one = Assert.Single((await _server.Grpc.ModelStatisticsAsync(new ModelStatisticsRequest { Name = "tabular", Version = "2" })).ModelStats);
        var all = await _server.Grpc.ModelStatisticsAsync(new ModelStatisticsRequest());
        var rest = await StatAsync("/v2/models/tabular/versions/2/stats", "2");

        Assert.Equal((4UL, 2UL), (one.InferenceCount, one.ExecutionCount));
        Assert.Equal(2UL, one.InferenceStats.Success.Count);
        Assert.Equal((ulong)rest.GetProperty("inference_stats").GetProperty("success").GetProperty("ns").GetInt64(), one.InferenceStats.Success.Ns);
        Assert.Equal([1UL, 3UL], one.BatchStats.Select(b => b.BatchSize));
        Assert.Equal(["fixed/1", "tabular/1", "tabular/2"], all.ModelStats.Select(s => $"{s.Name}/{s.Version}"));
        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => _server.Grpc.ModelStatisticsAsync(new ModelStatisticsRequest { Name = "nope" }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.NotFound, error.StatusCode);
    }
}
