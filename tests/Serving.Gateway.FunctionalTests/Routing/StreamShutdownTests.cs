using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>A worker that shuts down under an open ModelStreamInfer stream: its UNAVAILABLE reaches the caller through the gateway.</summary>
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

            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("the worker is shutting down: open a new stream", error.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await worker.DisposeAsync();
        }
    }
}
