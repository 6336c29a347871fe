using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Gateway.Shadow;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Shadow;

/// <summary>
/// Shadow traffic when things go wrong: a caller's body that stops within its deadline, a primary whose answer breaks off,
/// a slow or dead shadow under concurrent load, and the gateway stopping or its policy changing while copies are held. The
/// primary's answer is what it would be without the shadow, and each copy is counted once, as what it was.
/// </summary>
public sealed class ShadowFailureTests : IAsyncLifetime
{
    private const string Shadowed = """{"weights": {"1": 100}, "shadow": {"version": "9", "percent": 100}}""";
    private Workers.OwnWorker _worker = null!;

    private GatewayWorkerAddress Worker => GatewayWorkerAddress.Loopback(_worker.Worker.Listeners.RestPort, _worker.Worker.Listeners.GrpcPort);

    public async Task InitializeAsync() => _worker = await Workers.StartTabularAsync();

    public Task DisposeAsync() => _worker.DisposeAsync().AsTask();

    /// <summary>
    /// A gRPC call the policy routes (so it is copied) whose body stops after its leading fields, with a grpc-timeout: the
    /// gateway answers DEADLINE_EXCEEDED at the deadline, as without a shadow, and sends no copy. The shadow's read of the
    /// body had no deadline: the call waited until Kestrel's minimum data rate closed the caller's connection, no status.
    /// </summary>
    [Fact]
    public async Task GrpcBodyStopsAfterItsLeadingFields_WithGrpcTimeout_DeadlineExceededAtTheDeadline_NoCopySent()
    {
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        await using var gateway = await GatewayServer.StartAsync([Worker, shadow.Worker.Address]);
        await Policies.SetAsync(gateway, Shadowed);
        var frame = RawGrpc.Frame(Infer.GrpcRequest().ToByteArray()); // no version: the policy chooses it

        var answer = await GrpcHttp2Call.NeverEndedAsync(gateway.Listeners.GrpcPort, frame[..(frame.Length / 2)], "500m");

        Assert.True(answer.Ending == "answered" && answer.GrpcStatus == (int)Grpc.Core.StatusCode.DeadlineExceeded, answer.ToString());
        Assert.Equal(Serving.Protocol.Wire.GrpcTimeout.PassedBeforeRequest, answer.GrpcMessage);
        Assert.Equal(0, shadow.Calls);
        Assert.Equal(0, gateway.Service<ShadowMirror>().InFlight);
        var (response, version) = await Infer.GrpcAsync(gateway.Grpc);
        Assert.Equal("1", version);
        Assert.NotEmpty(response.Outputs);
        await Poll.UntilAsync(() => shadow.Calls == 1);
    }

    /// <summary>
    /// A gRPC call whose body goes on past the message its frame declares (a second message: the worker refuses the call),
    /// the message under ShadowMaxRequestBytes and the body over it: no copy is sent, it is counted too_large, and the
    /// caller's answer is the worker's, as without a shadow. The copy was sent whole: the limit bounded only the frame's
    /// declared length, so one copy could hold up to MaxRequestBytes.
    /// </summary>
    [Fact]
    public async Task GrpcBodyLongerThanItsMessage_OverShadowMaxRequestBytes_NotCopied_CountedTooLarge()
    {
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        shadow.Kind = "empty-outputs";
        await using var gateway = await GatewayServer.StartAsync(
            [Worker, shadow.Worker.Address], new Dictionary<string, string?> { ["Serving:Gateway:ShadowMaxRequestBytes"] = "4096" });
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}}""");
        byte[] body = [.. RawGrpc.Frame(Infer.GrpcRequest().ToByteArray()), .. RawGrpc.Frame(new byte[64 * 1024])];
        var without = await RawGrpc.SendAsync(gateway, body);
        await Policies.SetAsync(gateway, Shadowed);

        var with = await RawGrpc.SendAsync(gateway, body);

        Assert.Equal((int)Grpc.Core.StatusCode.InvalidArgument, without.GrpcStatus);
        Assert.Equal(without, with);
        var (response, _) = await Infer.GrpcAsync(gateway.Grpc); // a call within the limit is copied
        Assert.NotEmpty(response.Outputs);
        var counts = await ShadowCounts.SettledAsync(gateway, 2);
        Assert.True(counts.GetValueOrDefault(ShadowResults.TooLarge) == 1 && counts.GetValueOrDefault(ShadowResults.Disagree) == 1, ShadowCounts.Show(counts));
        Assert.Equal(1, shadow.Calls);
    }
}
