using Google.Protobuf;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// A gRPC call is a POST, to its method's exact name. grpc-dotnet's methods took any HTTP method: GET, PUT, HEAD, … on
/// ModelInfer ran the model (HEAD's answer then dropped), past the message header check and the memory budget, which
/// looked for a POST to the exact path; a ModelInfer spelled in another case or with a trailing slash, which routing
/// takes, went past them too (found by the gRPC HTTP/2 sweep, GrpcHttp2FuzzTests).
/// </summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class GrpcHttp2MethodTests(SharedWorkerFixture fixture)
{
    [Theory]
    [InlineData("GET", "/inference.GRPCInferenceService/ModelInfer")]
    [InlineData("PUT", "/inference.GRPCInferenceService/ModelInfer")]
    [InlineData("HEAD", "/inference.GRPCInferenceService/ModelInfer")]
    [InlineData("DELETE", "/inference.grpcinferenceservice/modelinfer")]
    [InlineData("PUT", "/inference.GRPCInferenceService/ModelReady")]
    [InlineData("GET", "/grpc.health.v1.Health/Check")]
    public async Task NotAPost_405_Unimplemented_NothingRun(string method, string path)
    {
        var answer = await GrpcHttp2Call.SendAsync(fixture.Server.Listeners.GrpcPort, Body(), method, path);

        Assert.True(answer.Status == 405 && answer.GrpcStatus == (int)Grpc.Core.StatusCode.Unimplemented, answer.ToString());
        Assert.Equal("POST", answer.Header("allow"));
        Assert.Equal($"{method} is not allowed on {path}: a gRPC call is a POST", answer.GrpcMessage);
        Assert.Null(answer.Header("x-serving-model-version"));
    }

    [Theory]
    [InlineData("/inference.grpcinferenceservice/modelinfer")]
    [InlineData("/inference.GRPCInferenceService/ModelInfer/")]
    public async Task ModelInferSpelledOtherwise_MessageHeaderCheckedAsAnyCall(string path)
    {
        byte[] body = [.. Body()];
        body[0] = 2;

        var answer = await GrpcHttp2Call.SendAsync(fixture.Server.Listeners.GrpcPort, body, path: path);

        Assert.True(answer.GrpcStatus == (int)Grpc.Core.StatusCode.InvalidArgument, answer.ToString());
        Assert.Contains("malformed (compressed flag 2)", answer.GrpcMessage, StringComparison.Ordinal);
    }

    private static byte[] Body() => RawGrpc.Frame(GoldenFile.Load("tabular", "1").GrpcRequest("tabular", "1").ToByteArray());
}
