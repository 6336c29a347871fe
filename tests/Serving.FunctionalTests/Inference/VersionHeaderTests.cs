using System.Text.Json;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>The gateway's contract: x-serving-version picks the version when the request names none; every answer names the version that served it.</summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class VersionHeaderTests(SharedWorkerFixture fixture)
{
    [Theory]
    [InlineData("/v2/models/tabular/infer", "1", "1")]
    [InlineData("/v2/models/tabular/infer", null, "2")]
    [InlineData("/v2/models/tabular/versions/2/infer", "1", "2")]
    public async Task Rest_ChosenVersionHeader_AppliesOnlyWithoutVersionInPath(string path, string? header, string served)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(GoldenFile.Load("tabular", "1").RequestBody()) };
        if (header is not null)
        {
            request.Headers.Add("x-serving-version", header);
        }

        using var response = await fixture.Server.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal(served, response.Headers.GetValues("x-serving-model-version").Single());
        Assert.Equal(served, JsonDocument.Parse(body).RootElement.GetProperty("model_version").GetString());
    }

    [Fact]
    public async Task Grpc_ChosenVersionMetadata_AppliesWhenBodyHasNoVersion_ServedVersionInResponseHeaders()
    {
        var golden = GoldenFile.Load("tabular", "1");
        var request = new ModelInferRequest { ModelName = "tabular" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange(golden.InputShape);
        input.Contents.Fp32Contents.AddRange(golden.Input);
        request.Inputs.Add(input);

        using var call = fixture.Server.Grpc.ModelInferAsync(request, new Metadata { { "x-serving-version", "1" } });
        var headers = await call.ResponseHeadersAsync;
        var response = await call.ResponseAsync;

        Assert.Equal("1", response.ModelVersion);
        Assert.Equal("1", headers.GetValue("x-serving-model-version"));
    }

    [Fact]
    public async Task Rest_ChosenVersionHeaderUnknown_404()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer") { Content = new StringContent(GoldenFile.Load("tabular", "1").RequestBody()) };
        request.Headers.Add("x-serving-version", "9");
        using var response = await fixture.Server.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }
}
