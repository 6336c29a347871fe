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

    /// <summary>
    /// The body stops before the message's leading fields (3 bytes of its 5-byte header, or the header and 2 bytes of the
    /// message): the gateway can't yet tell where to send the call. Its wait for them had no bound either: no status, and
    /// the caller's connection closed by Kestrel's data rate (GOAWAY INTERNAL_ERROR after about 6 s; seen by the sweep's
    /// helper, which left it). Now DEADLINE_EXCEEDED at the deadline, as the worker answers the same bytes.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    public async Task BodyStoppedBeforeItsLeadingFields_DeadlineExceededAtTheDeadline(int bytes)
    {
        var sent = RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray())[..bytes];

        var direct = await GrpcHttp2Call.NeverEndedAsync(fixture.WorkerA.Listeners.GrpcPort, sent, "500m");
        var routed = await GrpcHttp2Call.NeverEndedAsync(fixture.Gateway.Listeners.GrpcPort, sent, "500m");

        Assert.True(direct.GrpcStatus == (int)Grpc.Core.StatusCode.DeadlineExceeded, direct.ToString());
        Assert.True(routed.Ending == "answered" && routed.GrpcStatus == (int)Grpc.Core.StatusCode.DeadlineExceeded, routed.ToString());
        Assert.Equal(Serving.Protocol.Wire.GrpcTimeout.PassedBeforeRequest, routed.GrpcMessage);
        var (response, _) = await Infer.GrpcAsync(fixture.Gateway.Grpc);
        Assert.NotEmpty(response.Outputs);
    }

    private static Task<Http2Answer> NeverEndedAsync(int port) => GrpcHttp2Call.NeverEndedAsync(port, RawGrpc.Frame(Infer.GrpcRequest(version: "1").ToByteArray()), "500m");
}
