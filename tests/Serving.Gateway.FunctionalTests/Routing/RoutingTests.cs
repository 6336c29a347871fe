using System.Net;
using System.Text.Json;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>Requests reach the version they name or the policy picks, over both protocols, and every answer names its version.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RoutingTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("/v2/models/tabular/versions/1/infer", "1")]
    [InlineData("/v2/models/tabular/versions/2/infer", "2")]
    public async Task Rest_VersionInPath_GoesThere_ResponseNamesIt(string path, string version)
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 50, "2": 50}}""");

        var (status, served, body) = await Infer.RestAsync(fixture.Gateway.Http, path);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(version, served);
        Assert.Equal(version, JsonDocument.Parse(body).RootElement.GetProperty("model_version").GetString());
    }

    [Theory]
    [InlineData("""{"weights": {"1": 100, "2": 0}}""", "1")]
    [InlineData("""{"weights": {"1": 0, "2": 100}}""", "2")]
    public async Task Rest_NoVersion_PolicyPicks_ResponseNamesIt(string policy, string version)
    {
        await Policies.SetAsync(fixture.Gateway, policy);

        var (status, served, body) = await Infer.RestAsync(fixture.Gateway.Http);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(version, served);
        Assert.Equal(version, JsonDocument.Parse(body).RootElement.GetProperty("model_version").GetString());
    }

    [Theory]
    [InlineData("""{"weights": {"1": 100, "2": 0}}""", "1")]
    [InlineData("""{"weights": {"1": 0, "2": 100}}""", "2")]
    public async Task Grpc_NoVersionInBody_PolicyPicks_ResponseMetadataNamesIt(string policy, string version)
    {
        await Policies.SetAsync(fixture.Gateway, policy);

        var (response, served) = await Infer.GrpcAsync(fixture.Gateway.Grpc);

        Assert.Equal(version, response.ModelVersion);
        Assert.Equal(version, served);
        Assert.Equal(2, response.Outputs[0].Shape[1]);
    }

    [Fact]
    public async Task Grpc_VersionInBody_GoesThere_WhateverThePolicy()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 0, "2": 100}}""");

        var (response, served) = await Infer.GrpcAsync(fixture.Gateway.Grpc, Infer.GrpcRequest(version: "1"));

        Assert.Equal(("1", "1"), (response.ModelVersion, served));
    }

    [Theory]
    [InlineData("", "1", "gzip")]
    [InlineData("2", "2", "gzip")]
    [InlineData("", "1", "deflate")]
    [InlineData("2", "2", "deflate")]
    public async Task Grpc_CompressedRequest_RoutedByItsFields_ForwardedCompressed_SameAnswer(string named, string served, string encoding)
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        var plain = await Infer.GrpcAsync(fixture.Gateway.Grpc, Infer.GrpcRequest(version: served));

        var (response, version) = await Infer.GrpcAsync(fixture.Gateway.Grpc, Infer.GrpcRequest(version: named), new() { { "grpc-internal-encoding-request", encoding } });

        Assert.Equal(served, version);
        Assert.NotEmpty(response.Outputs);
        Assert.Equal(plain.Response.Outputs, response.Outputs);
        Assert.Equal(plain.Response.RawOutputContents, response.RawOutputContents);
    }

    [Fact]
    public async Task Rest_GzipCompressedBody_ForwardedAsItCame_SameAnswer()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");
        var (_, _, plain) = await Infer.RestAsync(fixture.Gateway.Http);

        var (status, version, body) = await Infer.RestGzipAsync(fixture.Gateway.Http);

        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("1", version);
        Assert.Equal(JsonDocument.Parse(plain).RootElement.GetProperty("outputs").GetRawText(), JsonDocument.Parse(body).RootElement.GetProperty("outputs").GetRawText());
    }

    [Fact]
    public async Task Grpc_GzipBomb_SmallOnTheWire_RefusedByTheWorkersLimitOnTheInflatedSize()
    {
        // 80 MB of zeros inflate from well under 1 MB: under the gateway's limit on the wire, over the worker's 64 MiB once inflated.
        var request = Infer.GrpcRequest(version: "1");
        request.Inputs[0].Contents = null;
        request.RawInputContents.Add(Google.Protobuf.ByteString.CopyFrom(new byte[80_000_000]));

        var e = await Assert.ThrowsAsync<RpcException>(() => Infer.GrpcAsync(fixture.Gateway.Grpc, request, Infer.Gzip));

        Assert.True(e.StatusCode == StatusCode.ResourceExhausted, $"{e.StatusCode}: {e.Status.Detail}");
        Assert.Contains("exceeds the maximum configured message size", e.Status.Detail, StringComparison.Ordinal);
        var (response, _) = await Infer.GrpcAsync(fixture.Gateway.Grpc);
        Assert.NotEmpty(response.Outputs);
    }

    [Fact]
    public async Task Grpc_CallerCantForgeTheChosenVersionHeader()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}}""");

        var (response, _) = await Infer.GrpcAsync(fixture.Gateway.Grpc, headers: new Metadata { { "x-serving-version", "2" } });

        Assert.Equal("1", response.ModelVersion);
    }

    [Fact]
    public async Task Rest_PinHeader_PicksTheVersion()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}, "pin_header": "x-model-version"}""");

        var (_, served, _) = await Infer.RestAsync(fixture.Gateway.Http, headers: ("x-model-version", "2"));
        var (_, unpinned, _) = await Infer.RestAsync(fixture.Gateway.Http);

        Assert.Equal(("2", "1"), (served, unpinned));
    }

    [Fact]
    public async Task Grpc_PinHeader_PicksTheVersion()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}, "pin_header": "x-model-version"}""");

        var (response, served) = await Infer.GrpcAsync(fixture.Gateway.Grpc, headers: new Metadata { { "x-model-version", "2" } });

        Assert.Equal(("2", "2"), (response.ModelVersion, served));
    }
}
