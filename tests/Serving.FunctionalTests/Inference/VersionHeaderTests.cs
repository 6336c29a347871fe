using System.Text.Json;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// The gateway's contract: x-serving-version picks the version when the request names none, and a request that names
/// another version (or, over gRPC, another model than x-serving-model) is refused; every answer names the version that served it.
/// </summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class VersionHeaderTests(SharedWorkerFixture fixture)
{
    [Theory]
    [InlineData("/v2/models/tabular/infer", "1", "1")]
    [InlineData("/v2/models/tabular/infer", null, "2")]
    [InlineData("/v2/models/tabular/versions/2/infer", "2", "2")]
    public async Task Rest_ChosenVersionHeader_AppliesWithoutVersionInPath(string path, string? header, string served)
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
        var request = GoldenRequest("tabular");

        using var call = fixture.Server.Grpc.ModelInferAsync(request, new Metadata { { "x-serving-version", "1" } });
        var headers = await call.ResponseHeadersAsync;
        var response = await call.ResponseAsync;

        Assert.Equal("1", response.ModelVersion);
        Assert.Equal("1", headers.GetValue("x-serving-model-version"));
    }

    [Theory]
    [InlineData("/v2/models/tabular/versions/2/infer", "1", System.Net.HttpStatusCode.BadRequest, "the x-serving-version header names version '1' but the path names version '2': a gateway sets that header for a path without a version; leave it out")]
    [InlineData("/v2/models/tabular/infer", "9", System.Net.HttpStatusCode.NotFound, "has no version '9'")]
    public async Task Rest_ChosenVersionHeaderWrongOrUnknown_Refused(string path, string header, System.Net.HttpStatusCode expected, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(GoldenFile.Load("tabular", "1").RequestBody()) };
        request.Headers.Add("x-serving-version", header);

        using var response = await fixture.Server.Http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_ModelHeader_IsNotRead_ThePathNamesTheModel()
    {
        // Over REST the gateway routes by the path and sends no x-serving-model; one set by hand changes nothing.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer") { Content = new StringContent(GoldenFile.Load("tabular", "1").RequestBody()) };
        request.Headers.Add("x-serving-model", "digits");

        using var response = await fixture.Server.Http.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal("tabular", JsonDocument.Parse(body).RootElement.GetProperty("model_name").GetString());
    }

    [Theory]
    [InlineData("tabular", "2", "1", null, "routed this request to version '1' but the request names version '2'")]
    [InlineData("tabular", "", "1", "digits", "routed this request by model_name 'digits' but the message names 'tabular'")]
    public async Task Grpc_GatewayHintsDisagreeWithTheMessage_InvalidArgument(string model, string version, string headerVersion, string? headerModel, string message)
    {
        var request = GoldenRequest(model);
        request.ModelVersion = version;
        var metadata = new Metadata { { "x-serving-version", headerVersion } };
        if (headerModel is not null)
        {
            metadata.Add("x-serving-model", headerModel);
        }

        var e = await Assert.ThrowsAsync<RpcException>(() => fixture.Server.Grpc.ModelInferAsync(request, metadata).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains(message, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_GatewayHintsAgreeWithTheMessage_Served()
    {
        var request = GoldenRequest("tabular");
        request.ModelVersion = "1";

        var response = await fixture.Server.Grpc.ModelInferAsync(request, new Metadata { { "x-serving-version", "1" }, { "x-serving-model", "tabular" } });

        Assert.Equal("1", response.ModelVersion);
    }

    private static ModelInferRequest GoldenRequest(string model)
    {
        var golden = GoldenFile.Load("tabular", "1");
        var request = new ModelInferRequest { ModelName = model };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange(golden.InputShape);
        input.Contents.Fp32Contents.AddRange(golden.Input);
        request.Inputs.Add(input);
        return request;
    }
}
