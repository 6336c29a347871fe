using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A worker that shuts down under an open ModelStreamInfer stream: its UNAVAILABLE reaches the caller through the gateway.
/// A worker whose side of the stream breaks off: the gateway ends the caller's stream UNAVAILABLE itself when the caller
/// has whole answers only, and resets it (INTERNAL) when an answer was cut in half.
/// </summary>
public sealed class StreamShutdownTests
{
    [Fact]
    public async Task WorkerShutsDown_StreamThroughTheGatewayEndsUnavailable_WithTheWorkersReason()
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var worker = await WorkerServer.StartAsync(repository.Path);
        try
        {
            await using var gateway = await GatewayServer.StartAsync([worker]);
            using var call = gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(60));
            var first = Infer.GrpcRequest();
            first.Id = "first";
            await call.RequestStream.WriteAsync(first);
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal(("", "first"), (call.ResponseStream.Current.ErrorMessage, call.ResponseStream.Current.InferResponse.Id));

            var stopping = worker.App.StopAsync();
            var error = await Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call));
            await stopping;

            Assert.True(error.StatusCode == StatusCode.Unavailable, $"{error.StatusCode}: {error.Status.Detail}");
            Assert.Contains("the worker is shutting down: open a new stream", error.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }

    [Fact]
    public async Task WorkerBreaksOffAStream_CallerGetsUnavailableFromTheGateway_NotAResetStream()
    {
        var (error, calls) = await BrokenStreamAsync("1", midMessage: false);

        // YARP alone resets the caller's stream (CANCEL), which a gRPC client reads as its own cancellation.
        Assert.True(error.StatusCode == StatusCode.Unavailable, $"{error.StatusCode}: {error.Status.Detail}");
        Assert.Contains("version 1 broke off the stream", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task WorkerBreaksOffMidAnswer_CallersStreamIsResetInternal_NeverEndedAsIfWhole()
    {
        var (error, _) = await BrokenStreamAsync("2", midMessage: true);

        // Part of a second answer reached the caller: trailers after it would end the stream on half a message (the
        // client reads "unexpected end of content"). A reset says the gateway broke it; INTERNAL, not YARP's CANCEL.
        Assert.True(error.StatusCode == StatusCode.Internal, $"{error.StatusCode}: {error.Status.Detail}");
        Assert.Contains("reset the stream. HTTP/2 error code 'INTERNAL_ERROR'", error.Status.Detail, StringComparison.Ordinal);
    }

    // A stream through the gateway to a stub whose side breaks off at the caller's second message, once the caller has
    // the first answer: how the caller's stream ends, and how many calls the stub got.
    private static async Task<(RpcException Error, int Calls)> BrokenStreamAsync(string version, bool midMessage)
    {
        await using var breaking = await StubWorker.BreakingStreamsAsync("broken_stream", version, midMessage);
        await using var gateway = await StubWorker.GatewayAsync([breaking], discoveryInterval: "00:10:00", keepFailingWorkers: true);
        using var call = gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(60));

        await call.RequestStream.WriteAsync(Infer.GrpcRequest("broken_stream", version));
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("first", call.ResponseStream.Current.InferResponse.Id);
        await call.RequestStream.WriteAsync(Infer.GrpcRequest("broken_stream", version));
        var error = await Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call));
        return (error, breaking.Calls);
    }
}
