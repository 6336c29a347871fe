using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A gRPC caller that gives up (its deadline, RST_STREAM CANCEL) before the worker answers is counted in
/// <c>serving_gateway_requests_total</c> with code Cancelled: it was counted with code "200", an HTTP status in a
/// series of gRPC status names, as if it had succeeded.
/// </summary>
public sealed class AbandonedCallMetricsTests
{
    [Fact]
    public async Task GrpcCallerGivesUp_CountedCancelled_NotAsHttp200()
    {
        await using var stalling = await StubWorker.StallingAsync("abandoned", "1");
        await using var gateway = await StubWorker.GatewayAsync([stalling], discoveryInterval: "00:10:00");

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = gateway.Grpc.ModelInferAsync(Infer.GrpcRequest("abandoned", "1"), deadline: DateTime.UtcNow.AddMilliseconds(300));
            await call.ResponseAsync;
        });

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        await Poll.UntilAsync(async () => await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"abandoned\"") > 0);
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"abandoned\",version=\"1\",arm=\"explicit\",protocol=\"grpc\",code=\"Cancelled\""));
        Assert.Equal(0, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"abandoned\",version=\"1\",arm=\"explicit\",protocol=\"grpc\",code=\"200\""));
    }
}
