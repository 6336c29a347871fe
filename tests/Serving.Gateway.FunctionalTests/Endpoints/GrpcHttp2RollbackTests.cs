using Google.Protobuf;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Rollback;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Endpoints;

/// <summary>
/// Malformed gRPC bodies sent to a canary are the callers' doing and never count against it: a body that ends inside
/// its message (the worker answered INTERNAL "Incomplete message.", which automatic rollback counts as a failure: any
/// caller could roll a canary back with them), and a body that has not ended by the call's grpc-timeout (answered
/// DEADLINE_EXCEEDED by the gateway; no worker saw it). Found by the gRPC HTTP/2 sweep.
/// </summary>
public sealed class GrpcHttp2RollbackTests(CanaryFixture fixture) : IClassFixture<CanaryFixture>
{
    private const int MinRequests = 20;

    [Fact]
    public async Task MalformedBodiesToTheCanary_CallersDoing_NeverCountedAgainstIt()
    {
        await using var gateway = await fixture.StartGatewayAsync();
        var rollback = $$"""{"baseline": "1", "max_error_rate": 0.05, "min_requests": {{MinRequests}}, "window_seconds": 60}""";
        await Policies.SetAsync(gateway, $$"""{"weights": {"1": 0, "2": 100}, "rollback": {{rollback}}}""", "canary");
        await gateway.Service<RollbackMonitor>().NextCheckAsync();
        // Its leading fields whole (model_name, then id), so the gateway routes it and the worker reads the rest.
        var message = new Serving.Protocol.Inference.ModelInferRequest { ModelName = "canary", Id = "x" }.ToByteArray();
        var truncated = RawGrpc.Frame([.. message, 0x22, 0x10]); // then the start of an input tensor the body never holds
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(truncated.AsSpan(1), (uint)(message.Length + 18));

        for (var i = 0; i < 2 * MinRequests; i++)
        {
            var (status, detail) = await RawGrpc.SendAsync(gateway, truncated);
            Assert.True(status == (int)Grpc.Core.StatusCode.InvalidArgument, $"{(Grpc.Core.StatusCode)status} {detail}");
        }

        var stalled = await Task.WhenAll(Enumerable.Range(0, MinRequests).Select(_ => GrpcHttp2Call.NeverEndedAsync(gateway.Listeners.GrpcPort, RawGrpc.Frame(message), "500m")));
        Assert.All(stalled, a => Assert.True(a.GrpcStatus == (int)Grpc.Core.StatusCode.DeadlineExceeded, a.ToString()));

        await gateway.Service<RollbackMonitor>().NextCheckAsync();

        Assert.Equal(default, gateway.Service<RollbackOutcomes>().Counts("canary", "2"));
        Assert.Equal("1=0 2=100", Policies.Weights(await Policies.GetAsync(gateway.Admin!, "canary")));
    }
}
