using Google.Protobuf;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Endpoints;

/// <summary>
/// A gRPC call whose message came whole but whose stream never ended, with a grpc-timeout: the gateway waited for the
/// body's end with no bound, until Kestrel's minimum body data rate closed the caller's whole connection (GOAWAY, seconds
/// later, no status), where the worker answers DEADLINE_EXCEEDED at the deadline. Now the gateway does too, and the
/// worker stays in rotation (found by the gRPC HTTP/2 sweep, GrpcHttp2FuzzTests).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GrpcHttp2DeadlineTests(GatewayFixture fixture)
{
    [Fact]
    public async Task BodyNeverEnded_DeadlineExceededAtTheDeadline_AsTheWorkerSaysIt()
    {
        var direct = await NeverEndedAsync(fixture.WorkerA.Listeners.GrpcPort);
        var routed = await NeverEndedAsync(fixture.Gateway.Listeners.GrpcPort);

        Assert.True(direct.GrpcStatus == (int)Grpc.Core.StatusCode.DeadlineExceeded, direct.ToString());
        Assert.True(routed.Ending == "answered" && routed.GrpcStatus == (int)Grpc.Core.StatusCode.DeadlineExceeded, routed.ToString());
        Assert.Equal("the call's deadline (grpc-timeout) passed before the whole request arrived", routed.GrpcMessage);
        var (response, _) = await Infer.GrpcAsync(fixture.Gateway.Grpc);
        Assert.NotEmpty(response.Outputs);
    }

    private static Task<Http2Answer> NeverEndedAsync(int port) => GrpcHttp2Call.NeverEndedAsync(port, RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray()), "500m");
}
