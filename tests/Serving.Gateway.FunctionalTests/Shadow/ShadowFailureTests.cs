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

    /// <summary>
    /// Callers that go away part way through a body the policy would copy (a REST connection closed mid-body, a gRPC stream
    /// reset mid-message): no copy is sent, the slots are given back, nothing is logged as an error, and the next calls are
    /// copied and counted as usual.
    /// </summary>
    [Fact]
    public async Task CallersGoAwayMidBody_NoCopySent_SlotsGivenBack_NoErrorLogged()
    {
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        shadow.Kind = "empty-outputs";
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayServer.StartAsync(
            [Worker, shadow.Worker.Address], tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        await Policies.SetAsync(gateway, Shadowed);
        var frame = RawGrpc.Frame(Infer.GrpcRequest().ToByteArray());

        for (var i = 0; i < 3; i++)
        {
            using (var client = await RawHttp1.ConnectAsync(gateway.Listeners.RestPort))
            {
                await RawHttp1.HangUpMidBodyAsync(client, "/v2/models/tabular/infer", 500);
            }

            await using var connection = await Http2Connection.OpenAsync(gateway.Listeners.GrpcPort);
            await connection.HeadersAsync(1, connection.GrpcHeaders(), endStream: false);
            await connection.DataAsync(1, frame[..(frame.Length / 2)], endStream: false);
            await connection.ResetAsync(1);
        }

        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
        Assert.NotEmpty((await Infer.GrpcAsync(gateway.Grpc)).Response.Outputs);
        var counts = await ShadowCounts.SettledAsync(gateway, 2);
        Assert.True(counts.Count == 1 && counts.GetValueOrDefault(ShadowResults.Disagree) == 2, ShadowCounts.Show(counts));
        Assert.Equal(2, shadow.Calls);
        Assert.Equal(0, gateway.Service<ShadowMirror>().InFlight);
        Assert.Empty(logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message} {e.Exception}"));
    }

    /// <summary>
    /// A ModelStreamInfer stream the policy routes is never copied (the docs say so): its messages are answered in the
    /// stream, the shadow gets nothing and nothing is counted; a unary call beside it is copied.
    /// </summary>
    [Fact]
    public async Task StreamsAreNeverCopied_UnaryCallsAre()
    {
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        shadow.Kind = "empty-outputs";
        await using var gateway = await GatewayServer.StartAsync([Worker, shadow.Worker.Address]);
        await Policies.SetAsync(gateway, Shadowed);
        var requests = Enumerable.Range(0, 3).Select(i =>
        {
            var request = Infer.GrpcRequest();
            request.Id = $"stream-{i}";
            return request;
        });

        var (answers, status) = await StreamMutations.SendAsync(gateway.Grpc, requests, TimeSpan.FromSeconds(30));

        Assert.Equal(Grpc.Core.StatusCode.OK, status.StatusCode);
        Assert.Equal(3, answers.Count(a => a.ErrorMessage.Length == 0 && a.InferResponse.Outputs.Count > 0));
        Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
        var counts = await ShadowCounts.SettledAsync(gateway, 1);
        Assert.True(counts.Values.Sum() == 1 && shadow.Calls == 1, $"{shadow.Calls} copies, counted {ShadowCounts.Show(counts)}");
    }

    /// <summary>
    /// A shadow that answers with something that is not an answer, an error, or too much, over REST and gRPC: the caller's
    /// answers are unchanged and each copy is counted as what it was: shadow_error (an unreadable answer was a disagreement,
    /// and a REST header length past the body, or outputs that are no array, threw out of the comparison: counted nowhere,
    /// a warning logged), too_large (a gRPC answer over the limit was a shadow_error: its grpc-status, in the trailers, was
    /// never read).
    /// </summary>
    [Theory]
    [InlineData("wrong-content-type")]
    [InlineData("bad-message")]
    [InlineData("cut-message")]
    [InlineData("not-an-answer")]
    [InlineData("error")]
    [InlineData("reset")]
    [InlineData("huge")]
    public async Task ShadowAnswersBadly_PrimaryUnchanged_CountedAsWhatItWas(string kind)
    {
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        shadow.Kind = kind;
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayServer.StartAsync(
            [Worker, shadow.Worker.Address],
            new Dictionary<string, string?> { ["Serving:Gateway:ShadowMaxResponseBytes"] = "65536", ["Serving:Gateway:PassiveReactivationPeriod"] = "00:00:00" },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}}""");
        var (_, _, rest) = await Infer.RestAsync(gateway.Http);
        var (grpc, _) = await Infer.GrpcAsync(gateway.Grpc);
        await Policies.SetAsync(gateway, Shadowed);

        for (var i = 0; i < 3; i++)
        {
            var (status, version, body) = await Infer.RestAsync(gateway.Http);
            Assert.Equal((HttpStatusCode.OK, "1", Outputs(rest)), (status, version, Outputs(body)));
            var (response, grpcVersion) = await Infer.GrpcAsync(gateway.Grpc);
            Assert.Equal("1", grpcVersion);
            Assert.Equal(grpc.Outputs, response.Outputs);
            Assert.Equal(grpc.RawOutputContents, response.RawOutputContents);
        }

        var counts = await ShadowCounts.SettledAsync(gateway, 6);
        Assert.True(counts.Count == 1 && counts.GetValueOrDefault(MisbehavingShadow.Counted[kind]) == 6, $"expected {MisbehavingShadow.Counted[kind]}=6, counted {ShadowCounts.Show(counts)}");
        Assert.Empty(logs.Entries.Where(e => e.Level >= LogLevel.Warning && e.Category.Contains("Shadow", StringComparison.Ordinal)).Select(e => $"{e.Message} {e.Exception}"));
    }

    /// <summary>
    /// The primary's worker starts a REST answer and breaks it off: the caller gets an error, and the copy is counted
    /// primary_error. It was compared with the part of the answer that had gone out, and counted a disagreement.
    /// </summary>
    [Fact]
    public async Task PrimaryBreaksOffItsAnswer_CopyCountedPrimaryError_NotADisagreement()
    {
        await using var primary = await StubWorker.HandlingAsync("tabular", "1", BreakOffAsync);
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        shadow.Kind = "empty-outputs"; // a valid answer: compared with a whole primary answer, it would be a disagreement
        await using var gateway = await GatewayServer.StartAsync(
            [primary.Address, shadow.Worker.Address], new Dictionary<string, string?> { ["Serving:Gateway:PassiveReactivationPeriod"] = "00:00:00" });
        await Policies.SetAsync(gateway, Shadowed);

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => Infer.RestAsync(gateway.Http));
            await Assert.ThrowsAsync<RpcException>(() => Infer.GrpcAsync(gateway.Grpc));
        }

        var counts = await ShadowCounts.SettledAsync(gateway, 10);
        Assert.True(counts.GetValueOrDefault(ShadowResults.PrimaryError) == 10, ShadowCounts.Show(counts));
    }

    /// <summary>
    /// Every call copied, many at once, to a shadow that holds each copy (or is down): every primary answer succeeds
    /// unchanged; the shadow never holds more copies than ShadowMaxInFlight; each copy is counted once (timeout, or
    /// shadow_error / no_worker for the dead one; dropped past the cap), and nothing is logged as an error.
    /// </summary>
    [Theory]
    [InlineData("stall")]
    [InlineData("dead")]
    public async Task Percent100_ManyCallsAtOnce_SlowOrDeadShadow_PrimaryAnswersUnchanged_CopiesBoundedAndCounted(string how)
    {
        const int Calls = 240, Concurrency = 24, MaxInFlight = 4;
        var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        var shadowUp = true;
        shadow.Kind = "stall";
        var logs = new CapturingLoggerProvider();
        try
        {
            await using var gateway = await GatewayServer.StartAsync(
                [Worker, shadow.Worker.Address],
                new Dictionary<string, string?>
                {
                    ["Serving:Gateway:ShadowMaxInFlight"] = MaxInFlight.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Serving:Gateway:ShadowTimeout"] = "00:00:02",
                    ["Serving:Gateway:DiscoveryInterval"] = "00:10:00", // the dead shadow stays in the table
                },
                t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
            await Policies.SetAsync(gateway, """{"weights": {"1": 100}}""");
            var (_, _, rest) = await Infer.RestAsync(gateway.Http);
            var (grpc, _) = await Infer.GrpcAsync(gateway.Grpc);
            await Policies.SetAsync(gateway, Shadowed);
            if (how == "dead")
            {
                await shadow.DisposeAsync();
                shadowUp = false;
            }

            using var gate = new SemaphoreSlim(Concurrency);
            var failures = await Task.WhenAll(Enumerable.Range(0, Calls).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    if (i % 2 == 0)
                    {
                        var (status, version, body) = await Infer.RestAsync(gateway.Http);
                        return status == HttpStatusCode.OK && version == "1" && Outputs(body) == Outputs(rest) ? null : $"REST {i}: {status} {version} {body}";
                    }

                    var (response, grpcVersion) = await Infer.GrpcAsync(gateway.Grpc);
                    return grpcVersion == "1" && response.Outputs.Equals(grpc.Outputs) && response.RawOutputContents.Equals(grpc.RawOutputContents) ? null : $"gRPC {i}: {grpcVersion} {response}";
                }
                catch (Exception e) when (e is RpcException or HttpRequestException or IOException)
                {
                    return $"call {i}: {e.Message}";
                }
                finally
                {
                    gate.Release();
                }
            }));

            var failed = failures.Where(f => f is not null).ToList();
            Assert.True(failed.Count == 0, string.Join("\n", failed));
            await Poll.UntilAsync(async () => gateway.Service<ShadowMirror>().InFlight == 0 && (await ShadowCounts.OfAsync(gateway)).Values.Sum() == Calls);
            var counts = await ShadowCounts.OfAsync(gateway);
            var shown = ShadowCounts.Show(counts);
            if (how == "stall")
            {
                // Each copy held 2 s: the cap was met, and the calls past it were not copied.
                Assert.True(counts.GetValueOrDefault(ShadowResults.Timeout) > 0 && counts.GetValueOrDefault(ShadowResults.Dropped) > 0, shown);
                Assert.True(counts.Keys.All(k => k is ShadowResults.Timeout or ShadowResults.Dropped), shown);
                Assert.InRange(shadow.MaxConcurrent, 1, MaxInFlight);
            }
            else
            {
                Assert.True(counts.GetValueOrDefault(ShadowResults.ShadowError) > 0 && counts.Keys.All(k => k is ShadowResults.ShadowError or ShadowResults.NoWorker or ShadowResults.Dropped), shown);
            }

            Assert.Empty(logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message} {e.Exception}"));
        }
        finally
        {
            if (shadowUp)
            {
                await shadow.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A shadow that answers at once beside a primary that takes seconds, ShadowMaxInFlight 1: while the first copy waits
    /// for its primary's answer to be compared, the next call is not copied (dropped). The slot was given back as soon as
    /// the shadow answered, so the copies waiting for their primaries (each holding the body and both answers, up to
    /// ShadowMaxResponseBytes each) had no bound but the number of primaries in flight.
    /// </summary>
    [Fact]
    public async Task FastShadowSlowPrimary_ACopyWaitingForItsPrimaryHoldsItsSlot()
    {
        using var release = new SemaphoreSlim(0);
        await using var primary = await StubWorker.HandlingAsync("tabular", "1", async c =>
        {
            await c.Request.Body.CopyToAsync(Stream.Null, c.RequestAborted);
            await release.WaitAsync(TimeSpan.FromSeconds(20), c.RequestAborted);
            c.Response.ContentType = "application/json";
            await c.Response.WriteAsync("""{"outputs": []}""", c.RequestAborted);
        });
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        shadow.Kind = "empty-outputs"; // answers at once, and agrees with the primary's {"outputs": []}
        await using var gateway = await GatewayServer.StartAsync(
            [primary.Address, shadow.Worker.Address], new Dictionary<string, string?> { ["Serving:Gateway:ShadowMaxInFlight"] = "1" });
        await Policies.SetAsync(gateway, Shadowed);

        var first = Infer.RestAsync(gateway.Http);
        await Poll.UntilAsync(() => shadow.Calls == 1 && shadow.Current == 0 && primary.Calls == 1); // the shadow answered; the primary waits
        await Task.Delay(500); // lets the gateway finish reading the shadow's answer (the verdict with the fix does not depend on it)
        var second = Infer.RestAsync(gateway.Http);
        await Poll.UntilAsync(() => primary.Calls == 2);
        release.Release(2);

        Assert.Equal(HttpStatusCode.OK, (await first).Status);
        Assert.Equal(HttpStatusCode.OK, (await second).Status);
        var counts = await ShadowCounts.SettledAsync(gateway, 2);
        Assert.True(counts.GetValueOrDefault(ShadowResults.Dropped) == 1 && counts.GetValueOrDefault(ShadowResults.Agree) == 1, ShadowCounts.Show(counts));
        Assert.Equal(1, shadow.Calls);
    }

    /// <summary>
    /// Copies held by a stalled shadow (its timeout minutes away) when the policy drops the shadow and then the gateway
    /// stops: calls after the change are answered and not copied; the stop neither hangs nor throws, ends the held copies,
    /// and logs no error.
    /// </summary>
    [Fact]
    public async Task PolicyChangeThenStop_WithCopiesHeldByAStalledShadow_StopsWithoutHangingOrErrors()
    {
        await using var shadow = await MisbehavingShadow.StartAsync("tabular", "9");
        shadow.Kind = "stall";
        var logs = new CapturingLoggerProvider();
        var gateway = await GatewayServer.StartAsync(
            [Worker, shadow.Worker.Address],
            new Dictionary<string, string?> { ["Serving:Gateway:ShadowTimeout"] = "00:05:00" },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        var stopped = false;
        try
        {
            await Policies.SetAsync(gateway, Shadowed);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
                Assert.Equal("1", (await Infer.GrpcAsync(gateway.Grpc)).Version);
            }

            await Poll.UntilAsync(() => shadow.Current == 6);
            Assert.Equal(6, gateway.Service<ShadowMirror>().InFlight);

            await Policies.SetAsync(gateway, """{"weights": {"1": 100}}""");
            Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
            Assert.Equal("1", (await Infer.GrpcAsync(gateway.Grpc)).Version);
            Assert.Equal(6, shadow.Calls);

            stopped = true;
            await gateway.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!stopped)
            {
                await gateway.DisposeAsync();
            }
        }

        await Poll.UntilAsync(() => shadow.Current == 0);
        Assert.Empty(logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message} {e.Exception}"));
    }

    // A REST answer that starts (200 and the front of the JSON) and breaks off; a gRPC one the same (the gateway reads it whole first).
    private static async Task BreakOffAsync(HttpContext context)
    {
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        var grpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
        context.Response.ContentType = grpc ? "application/grpc" : "application/json";
        await context.Response.Body.WriteAsync(grpc ? new byte[] { 0, 0, 0, 0, 64, 0x0A } : """{"model_name": "tabular", "outputs": [{"name": "probabilities", """u8.ToArray(), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await Task.Delay(200, context.RequestAborted);
        context.Abort();
    }

    private static string Outputs(string body) => JsonDocument.Parse(body).RootElement.GetProperty("outputs").GetRawText();
}
