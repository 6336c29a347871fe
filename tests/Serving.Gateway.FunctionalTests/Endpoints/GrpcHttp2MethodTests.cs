using Google.Protobuf;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Endpoints;

/// <summary>
/// The gateway refuses a gRPC call that is not a POST, and a content-type that is not gRPC's, as the worker does, saying
/// why. Its other methods (ModelReady, …) took any HTTP method, and ModelInfer asked with one got the REST fallback's
/// 404 "no endpoint"; a wrong content-type got a bare 415 with no grpc-status or message (found by the gRPC HTTP/2 sweep).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GrpcHttp2MethodTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("GET", "/inference.GRPCInferenceService/ModelInfer")]
    [InlineData("PUT", "/inference.GRPCInferenceService/ModelInfer")]
    [InlineData("HEAD", "/inference.GRPCInferenceService/ModelInfer")]
    [InlineData("PUT", "/inference.GRPCInferenceService/ModelReady")]
    [InlineData("GET", "/grpc.health.v1.Health/Check")]
    public async Task NotAPost_405_Unimplemented_AsTheWorkerSaysIt(string method, string path)
    {
        var direct = await GrpcHttp2Call.SendAsync(fixture.WorkerA.Listeners.GrpcPort, Body(), method, path);
        var routed = await GrpcHttp2Call.SendAsync(fixture.Gateway.Listeners.GrpcPort, Body(), method, path);

        Assert.True(routed.Status == 405 && routed.GrpcStatus == (int)Grpc.Core.StatusCode.Unimplemented, routed.ToString());
        Assert.Equal("POST", routed.Header("allow"));
        Assert.Equal($"{method} is not allowed on {path}: a gRPC call is a POST", routed.GrpcMessage);
        Assert.Equal((direct.Status, direct.GrpcStatus, direct.GrpcMessage), (routed.Status, routed.GrpcStatus, routed.GrpcMessage));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/grpc-web")]
    [InlineData(null)]
    public async Task NotGrpcsContentType_415_WithTheWorkersStatusAndMessage(string? contentType)
    {
        void Edit(List<(string Name, string Value)> headers)
        {
            headers.RemoveAll(h => h.Name == "content-type");
            if (contentType is not null)
            {
                headers.Add(("content-type", contentType));
            }
        }

        var direct = await GrpcHttp2Call.SendAsync(fixture.WorkerA.Listeners.GrpcPort, Body(), edit: Edit);
        var routed = await GrpcHttp2Call.SendAsync(fixture.Gateway.Listeners.GrpcPort, Body(), edit: Edit);

        Assert.True(routed.Status == 415 && routed.GrpcStatus == (int)Grpc.Core.StatusCode.Internal, routed.ToString());
        Assert.Equal(contentType is null ? "Content-Type is missing from the request." : $"Content-Type '{contentType}' is not supported.", routed.GrpcMessage);
        Assert.Equal((direct.Status, direct.GrpcStatus, direct.GrpcMessage), (routed.Status, routed.GrpcStatus, routed.GrpcMessage));
    }

    private static byte[] Body() => RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray());
}
