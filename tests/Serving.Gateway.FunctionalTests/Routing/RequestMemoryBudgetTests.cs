using System.Globalization;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Hosting.Http;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A unary gRPC call's message is held whole while the gateway forwards it, so the messages in flight share
/// Serving:Gateway:RequestMemoryBytes: one over it alone, or one that doesn't fit beside those in, is RESOURCE_EXHAUSTED
/// before its body is read, and every share is given back when its call ends.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RequestMemoryBudgetTests(GatewayFixture fixture)
{
    private const int Budget = 64 * 1024;

    private Task<GatewayServer> StartAsync() => GatewayServer.StartAsync(
        [fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:RequestMemoryBytes"] = Budget.ToString(CultureInfo.InvariantCulture) });

    // The golden call, its id padded so that its gRPC body is about the bytes given (the worker echoes the id).
    private static byte[] GoldenBody(int bytes)
    {
        var request = Infer.GrpcRequest(version: "1");
        request.Id = new string('x', bytes - request.CalculateSize());
        return RawGrpc.Frame(request.ToByteArray());
    }

    [Fact]
    public async Task MessageOverTheBudgetAlone_ResourceExhausted_NamingTheSetting_SmallerCallsServed()
    {
        await using var gateway = await StartAsync();

        var (status, message) = await RawGrpc.SendAsync(gateway.Listeners.GrpcPort, GoldenBody(Budget + 1024));

        Assert.Equal((int)StatusCode.ResourceExhausted, status);
        Assert.Contains("allowed for all requests at once (Serving:Gateway:RequestMemoryBytes): split it, or give the gateway more memory", message);
        Assert.Equal((int)StatusCode.OK, (await RawGrpc.SendAsync(gateway.Listeners.GrpcPort, GoldenBody(Budget / 2))).GrpcStatus);
        await Poll.UntilAsync(() => gateway.Service<RequestMemoryBudget>().Taken == 0);
    }

    [Fact]
    public async Task WhileAnotherMessageHoldsTheMemory_ResourceExhaustedRetryLater_ThenServed()
    {
        await using var gateway = await StartAsync();
        var budget = gateway.Service<RequestMemoryBudget>();
        var body = GoldenBody(Budget * 6 / 10);
        var release = new TaskCompletionSource();

        // The first call's leading fields arrive, the rest of its message waits: it holds its share meanwhile.
        var held = RawGrpc.SendAsync(gateway.Listeners.GrpcPort, new HeldBody(body, 1024, release.Task));
        await Poll.UntilAsync(() => budget.Taken > 0); // the held call's share taken

        var (status, message) = await RawGrpc.SendAsync(gateway.Listeners.GrpcPort, body);
        Assert.Equal((int)StatusCode.ResourceExhausted, status);
        Assert.Contains("retry later", message);

        release.SetResult();
        Assert.Equal((int)StatusCode.OK, (await held).GrpcStatus);
        await Poll.UntilAsync(() => budget.Taken == 0);
        Assert.Equal((int)StatusCode.OK, (await RawGrpc.SendAsync(gateway.Listeners.GrpcPort, body)).GrpcStatus);
    }

    // A body whose first bytes go at once and the rest once released.
    private sealed class HeldBody(byte[] body, int first, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, first));
            await stream.FlushAsync();
            await release;
            await stream.WriteAsync(body.AsMemory(first));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
