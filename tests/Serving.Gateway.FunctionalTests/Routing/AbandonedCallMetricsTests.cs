using Google.Protobuf;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A caller that gives up before the worker answers is counted in <c>serving_gateway_requests_total</c> with what it
/// saw: a gRPC caller whose deadline passed, DeadlineExceeded; one that cancelled (RST_STREAM CANCEL), Cancelled; a REST
/// caller that hung up, 499 (nginx's "client closed request"). They were counted with code "200", as if they had
/// succeeded, and then a passed deadline as Cancelled or DeadlineExceeded by a race with the worker's own answer.
/// A request refused before a model could be taken from it is <c>_invalid</c>, over gRPC as over REST.
/// </summary>
public sealed class AbandonedCallMetricsTests
{
    [Fact]
    public async Task GrpcCallersDeadlinePasses_CountedDeadlineExceeded_NotAsHttp200()
    {
        await using var stalling = await StubWorker.StallingAsync("abandoned", "1");
        await using var gateway = await StubWorker.GatewayAsync([stalling], discoveryInterval: "00:10:00");

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            // Long enough for the gateway to have read the message on a busy machine (a call gone before that is _invalid).
            using var call = gateway.Grpc.ModelInferAsync(Infer.GrpcRequest("abandoned", "1"), deadline: DateTime.UtcNow.AddSeconds(2));
            await call.ResponseAsync;
        });

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        await Poll.UntilAsync(async () => await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"abandoned\"") > 0);
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"abandoned\",version=\"1\",arm=\"explicit\",protocol=\"grpc\",code=\"DeadlineExceeded\""));
        Assert.Equal(0, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"abandoned\",version=\"1\",arm=\"explicit\",protocol=\"grpc\",code=\"200\""));
    }

    [Fact]
    public async Task GrpcCallerCancels_CountedCancelled()
    {
        await using var stalling = await StubWorker.StallingAsync("cancelled", "1");
        await using var gateway = await StubWorker.GatewayAsync([stalling], discoveryInterval: "00:10:00");

        using var cancel = new CancellationTokenSource();
        using var call = gateway.Grpc.ModelInferAsync(Infer.GrpcRequest("cancelled", "1"), cancellationToken: cancel.Token);
        await Poll.UntilAsync(() => Task.FromResult(stalling.Calls > 0));
        await cancel.CancelAsync();
        var e = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Cancelled, e.StatusCode);
        await Poll.UntilAsync(async () => await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"cancelled\"") > 0);
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"cancelled\",version=\"1\",arm=\"explicit\",protocol=\"grpc\",code=\"Cancelled\""));
    }

    [Fact]
    public async Task RestCallerHangsUp_Counted499_NotAs200()
    {
        await using var stalling = await StubWorker.StallingAsync("hungup", "1");
        await using var gateway = await StubWorker.GatewayAsync([stalling], discoveryInterval: "00:10:00");

        using var cancel = new CancellationTokenSource();
        var post = gateway.Http.PostAsync("/v2/models/hungup/versions/1/infer", new StringContent(Infer.RestBody), cancel.Token);
        await Poll.UntilAsync(() => Task.FromResult(stalling.Calls > 0));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => post);

        await Poll.UntilAsync(async () => await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"hungup\"") > 0);
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"hungup\",version=\"1\",arm=\"explicit\",protocol=\"rest\",code=\"499\""));
    }

    /// <summary>
    /// A REST caller that closes its connection part way through a body of known length (at most 64 KiB: the gateway
    /// reads it whole before the forward) is counted 499 too. Kestrel reports the early end to the read as a malformed
    /// body (400), mostly before it signals RequestAborted: such callers were counted 400, nine in ten of them, as if they
    /// had sent bad requests. Nothing reaches the worker. Each caller goes away during the read (after 100 Continue).
    /// </summary>
    [Fact]
    public async Task RestCallerHangsUpMidBody_Counted499_NotAs400()
    {
        const int Callers = 5;
        await using var stalling = await StubWorker.StallingAsync("hungup_midbody", "1");
        await using var gateway = await StubWorker.GatewayAsync([stalling], discoveryInterval: "00:10:00");
        for (var i = 0; i < Callers; i++)
        {
            using var client = await RawHttp1.ConnectAsync(gateway.Listeners.RestPort);
            await RawHttp1.HangUpMidBodyAsync(client, "/v2/models/hungup_midbody/versions/1/infer", 1000);
        }

        await Poll.UntilAsync(async () => await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"hungup_midbody\"") >= Callers);
        Assert.Equal(Callers, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"hungup_midbody\",version=\"1\",arm=\"explicit\",protocol=\"rest\",code=\"499\""));
        Assert.Equal(0, stalling.Calls);
    }

    /// <summary>
    /// A gRPC call reset before the gateway read its model's name (Kestrel fails the read, even of the bytes that came,
    /// once the stream is reset) is counted, Cancelled, as a request no model could be taken from: such calls were counted
    /// nowhere, by the gateway or a worker.
    /// </summary>
    [Fact]
    public async Task GrpcCallResetBeforeItsModelWasRead_CountedCancelled()
    {
        const int Callers = 5;
        await using var gateway = await GatewayServer.StartAsync([GatewayWorkerAddress.Loopback(1, 1)]);
        const string Series = "model=\"_invalid\",version=\"\",arm=\"\",protocol=\"grpc\",code=\"Cancelled\"";
        var before = await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", Series);
        var body = RawGrpc.Frame(Infer.GrpcRequest("reset_early", "1").ToByteArray());

        for (var i = 0; i < Callers; i++)
        {
            var counted = before + i + 1;
            await Http2Frames.ResetMidMessageAsync(
                gateway.Listeners.GrpcPort, body, body.Length / 2,
                () => Poll.UntilAsync(async () => await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", Series) >= counted));
        }
    }

    [Fact]
    public async Task GrpcModelNameNotValid_CountedInvalid_AsOverRest()
    {
        await using var gateway = await GatewayServer.StartAsync([GatewayWorkerAddress.Loopback(1, 1)]);
        var before = await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"_invalid\",version=\"\",arm=\"\",protocol=\"grpc\",code=\"InvalidArgument\"");

        var e = await Assert.ThrowsAsync<RpcException>(async () => await gateway.Grpc.ModelInferAsync(Infer.GrpcRequest("bad\nname", "1")));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(before + 1, await MetricsText.SumAsync(gateway, "serving_gateway_requests_total", "model=\"_invalid\",version=\"\",arm=\"\",protocol=\"grpc\",code=\"InvalidArgument\""));
    }
}
