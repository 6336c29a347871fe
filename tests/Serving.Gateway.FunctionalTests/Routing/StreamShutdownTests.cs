using System.Text.RegularExpressions;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Hosting.Health;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A worker that shuts down under an open ModelStreamInfer stream: its UNAVAILABLE reaches the caller through the gateway.
/// A worker whose side of the stream breaks off: the gateway ends the caller's stream UNAVAILABLE itself when the caller
/// has whole answers only, and resets it (INTERNAL) when an answer was cut in half. A gateway that shuts down under an
/// open stream ends its upload to the worker at a message boundary, relays the answers to what was sent, and ends the
/// caller's stream UNAVAILABLE saying how many requests went; a worker that never answers still lets it stop.
/// </summary>
public sealed partial class StreamShutdownTests
{
    private const string GatewayShuttingDown = "the gateway is shutting down: open a new stream";

    [Fact]
    public Task GatewayShutsDown_CallerGetsEveryAnswerToWhatWasForwarded_ThenUnavailable() =>
        BehindDrainingGatewayAsync(async (worker, gateway) =>
        {
            using var call = gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(60));
            await WriteAnsweredAsync(call, 3);

            // More on their way, unanswered, as the shutdown begins.
            for (var i = 0; i < 20; i++)
            {
                await call.RequestStream.WriteAsync(Request($"in-flight-{i}"));
            }

            var stopping = gateway.App.StopAsync();
            var answers = new List<ModelStreamInferResponse>();
            var error = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await call.ResponseStream.MoveNext())
                {
                    answers.Add(call.ResponseStream.Current);
                }
            });
            await Bounded(stopping, "the gateway's stop did not end");

            Assert.True(error.StatusCode == StatusCode.Unavailable, $"{error.StatusCode}: {error.Status.Detail}");
            Assert.Contains(GatewayShuttingDown, error.Status.Detail, StringComparison.Ordinal);
            var sent = SentCount(error.Status.Detail);

            // An answer to every message that went to the worker, and only to those: the first ones in the order written.
            Assert.All(answers, a => Assert.Equal("", a.ErrorMessage));
            Assert.Equal(
                Enumerable.Range(0, sent - 3).Select(i => $"in-flight-{i}").Order(StringComparer.Ordinal),
                answers.Select(a => a.InferResponse.Id).Order(StringComparer.Ordinal));
            Assert.Equal((ulong)sent, await RequestsRunAsync(worker));
        });

    [Fact]
    public Task GatewayShutsDown_AMessageWrittenAfterTheDrainBegan_IsNotRunByTheWorker() =>
        BehindDrainingGatewayAsync(async (worker, gateway) =>
        {
            using var call = gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(60));
            await WriteAnsweredAsync(call, 2);

            var draining = gateway.Service<ReadinessState>().Draining;
            var stopping = gateway.App.StopAsync();
            await Bounded(Task.Delay(Timeout.Infinite, draining).ContinueWith(_ => { }, TaskScheduler.Default), "the gateway's drain never began");
            try
            {
                await call.RequestStream.WriteAsync(Request("after-the-drain-began"));
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException)
            {
                // The stream may have ended already: then the message never left the caller.
            }

            var error = await Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call));
            await Bounded(stopping, "the gateway's stop did not end");

            Assert.True(error.StatusCode == StatusCode.Unavailable, $"{error.StatusCode}: {error.Status.Detail}");
            Assert.Contains(GatewayShuttingDown + "; the first 2 request(s) on this stream went to the worker", error.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(2UL, await RequestsRunAsync(worker));
        });

    [Fact]
    public async Task GatewayShutsDown_WorkerThatNeverAnswers_DoesNotHoldTheStopPastTheDrainTimeout()
    {
        await using var holding = await StubWorker.HoldingStreamsAsync("held_stream", "1");
        var gateway = await GatewayServer.StartAsync([holding.Address], new Dictionary<string, string?>
        {
            ["Serving:Gateway:DiscoveryInterval"] = "00:10:00",
            ["Serving:Shutdown:DrainTimeout"] = "00:00:01",
        });
        try
        {
            using var call = gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(120));
            await call.RequestStream.WriteAsync(Infer.GrpcRequest("held_stream", "1"));
            await WaitUntilAsync(() => holding.Calls == 1, "the stream never reached the worker");
            var stopping = gateway.App.StopAsync();

            // The drain ends the upload (the worker is to answer what it has and end the call); this worker never does.
            await WaitUntilAsync(() => holding.UploadsEnded == 1, "the gateway never half-closed the stream's upload to the worker when its drain began");
            await Bounded(stopping, "a worker that never answers held the gateway's stop past its drain timeout");
            await Bounded(Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call)), "the caller's stream never ended");
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

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

    // A tabular worker behind a gateway with a short drain (a stream held to the end of it is cut, as the old gateway cut
    // every stream); both are disposed after the body.
    private static async Task BehindDrainingGatewayAsync(Func<WorkerServer, GatewayServer, Task> body)
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path);
        await using var gateway = await GatewayServer.StartAsync([worker], new Dictionary<string, string?> { ["Serving:Shutdown:DrainTimeout"] = "00:00:05" });
        await body(worker, gateway);
    }

    // Writes `count` requests (ids answered-0, …), each answered before the next is written.
    private static async Task WriteAnsweredAsync(AsyncDuplexStreamingCall<ModelInferRequest, ModelStreamInferResponse> call, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await call.RequestStream.WriteAsync(Request($"answered-{i}"));
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal(("", $"answered-{i}"), (call.ResponseStream.Current.ErrorMessage, call.ResponseStream.Current.InferResponse.Id));
        }
    }

    private static ModelInferRequest Request(string id)
    {
        var request = Infer.GrpcRequest("tabular", "1");
        request.Id = id;
        return request;
    }

    // The requests the gateway says went to the worker.
    private static int SentCount(string detail)
    {
        var match = SentPattern().Match(detail);
        Assert.True(match.Success, $"the status does not say how many requests went to the worker: {detail}");
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"the first (\d+) request\(s\) on this stream went to the worker")]
    private static partial Regex SentPattern();

    // The requests the worker ran (inference_count counts rows of the batch).
    private static async Task<ulong> RequestsRunAsync(WorkerServer worker)
    {
        var stats = await worker.Grpc.ModelStatisticsAsync(new ModelStatisticsRequest { Name = "tabular", Version = "1" });
        var inference = Assert.Single(stats.ModelStats).InferenceStats;
        return inference.Success.Count + inference.Fail.Count;
    }

    private static async Task Bounded(Task task, string failure)
    {
        if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(60))) != task)
        {
            Assert.Fail(failure + " within 60 s");
        }

        await task;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        for (var waited = 0; !condition(); waited++)
        {
            if (waited == 300)
            {
                Assert.Fail(failure + " within 30 s");
            }

            await Task.Delay(100);
        }
    }
}
