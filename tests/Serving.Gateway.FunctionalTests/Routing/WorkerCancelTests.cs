using Google.Protobuf;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A worker that cancels a call (RST_STREAM CANCEL, as at the caller's grpc-timeout, which the worker keeps too) ended
/// that call, not its own health: it stays in rotation. Callers with short deadlines used to get the version's only
/// worker left out of rotation, and everyone else 503 "no ready worker" for a while.
/// </summary>
public sealed class WorkerCancelTests
{
    [Fact]
    public async Task WorkerCancelsCalls_EachCallerGetsUnavailable_WorkerStaysInRotation()
    {
        await using var cancelling = await StubWorker.CancellingAsync("cancelled", "1", TimeSpan.Zero);
        await using var gateway = await StubWorker.GatewayAsync([cancelling], discoveryInterval: "00:10:00");

        for (var i = 1; i <= 3; i++)
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => Infer.GrpcAsync(gateway.Grpc, Infer.GrpcRequest("cancelled", "1")));

            Assert.Equal(StatusCode.Unavailable, e.StatusCode);
            Assert.Contains("cancelled the call before answering", e.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(i, cancelling.Calls); // every call reached the worker: none was refused as "no ready worker"
        }
    }

    [Fact]
    public async Task WorkerCancelsAfterTheCallersGrpcTimeout_DeadlineExceeded_WorkerStaysInRotation()
    {
        await using var cancelling = await StubWorker.CancellingAsync("late", "1", TimeSpan.FromMilliseconds(300));
        await using var gateway = await StubWorker.GatewayAsync([cancelling], discoveryInterval: "00:10:00");
        var body = RawGrpc.Frame(Infer.GrpcRequest("late", "1").ToByteArray());

        // A bare HTTP/2 client: it sends grpc-timeout but does not end the call at it, so the gateway's answer arrives.
        for (var i = 1; i <= 2; i++)
        {
            var (status, message) = await RawGrpc.SendWithHeaderAsync(gateway.Listeners.GrpcPort, body, "grpc-timeout", "100m");

            Assert.Equal((int)StatusCode.DeadlineExceeded, status);
            Assert.Contains("deadline (grpc-timeout) passed before the worker serving model 'late' version 1 answered", message, StringComparison.Ordinal);
            Assert.Equal(i, cancelling.Calls);
        }
    }
}
