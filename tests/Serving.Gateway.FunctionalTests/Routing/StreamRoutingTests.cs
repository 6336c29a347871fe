using Google.Protobuf;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>Triton's ModelStreamInfer through the gateway: the stream is routed by its first message, and goes to one worker of that version.</summary>
[Collection(GatewayCollection.Name)]
public sealed class StreamRoutingTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData(100, 0, "1")]
    [InlineData(0, 100, "2")]
    public async Task NoVersionInFirstMessage_PolicyPicks_EveryAnswerFromThatVersion(int w1, int w2, string version)
    {
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(w1, w2));

        using var call = fixture.Gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(30));
        var reading = StreamInferCalls.ReadAllAsync(call);
        for (var i = 0; i < 20; i++)
        {
            await call.RequestStream.WriteAsync(Request($"r-{i}", version: i == 0 ? "" : i % 2 == 0 ? version : ""));
        }

        await call.RequestStream.CompleteAsync();
        var answers = await reading;

        Assert.Equal(version, (await call.ResponseHeadersAsync).GetValue("x-serving-model-version"));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"r-{i}").Order(), answers.Select(a => a.InferResponse.Id).Order());
        Assert.All(answers, a => Assert.Equal("", a.ErrorMessage));
        Assert.All(answers, a => Assert.Equal(version, a.InferResponse.ModelVersion));
        var alone = await fixture.Gateway.Grpc.ModelInferAsync(Request("alone", version));
        Assert.All(answers, a => Assert.Equal(alone.Outputs, a.InferResponse.Outputs));
    }

    [Fact]
    public async Task PinHeaderOnTheStream_PicksTheVersionForEveryMessage()
    {
        await Policies.SetAsync(fixture.Gateway, """{"weights": {"1": 100, "2": 0}, "pin_header": "x-model-version"}""");

        using var call = fixture.Gateway.Grpc.ModelStreamInfer(new Grpc.Core.Metadata { { "x-model-version", "2" } }, DateTime.UtcNow.AddSeconds(30));
        var reading = StreamInferCalls.ReadAllAsync(call);
        for (var i = 0; i < 5; i++)
        {
            await call.RequestStream.WriteAsync(Request($"p-{i}"));
        }

        await call.RequestStream.CompleteAsync();
        var answers = await reading;

        Assert.Equal(5, answers.Count);
        Assert.All(answers, a => Assert.Equal(("", "2"), (a.ErrorMessage, a.InferResponse.ModelVersion)));
    }

    [Fact]
    public async Task GzipCompressedStream_RoutedByItsFirstMessage_EveryMessageAnswered()
    {
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(0, 100));

        using var call = fixture.Gateway.Grpc.ModelStreamInfer(Infer.Gzip, DateTime.UtcNow.AddSeconds(30));
        var reading = StreamInferCalls.ReadAllAsync(call);
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(Request($"z-{i}"));
        }

        await call.RequestStream.CompleteAsync();
        var answers = await reading;

        Assert.Equal(["z-0", "z-1", "z-2"], answers.Select(a => a.InferResponse.Id).Order());
        Assert.All(answers, a => Assert.Equal(("", "2"), (a.ErrorMessage, a.InferResponse.ModelVersion)));
    }

    [Fact]
    public async Task AStream_CountedOnceAsGrpcStream_WithItsStatus_AndNotTimed()
    {
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(0, 100));
        const string Streams = "serving_gateway_requests_total";
        const string OkStreams = "protocol=\"grpc-stream\",code=\"OK\"";
        var before = await MetricsText.SumAsync(fixture.Gateway, Streams, OkStreams);

        using (var call = fixture.Gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(30)))
        {
            var reading = StreamInferCalls.ReadAllAsync(call);
            for (var i = 0; i < 3; i++)
            {
                await call.RequestStream.WriteAsync(Request($"m-{i}"));
            }

            await call.RequestStream.CompleteAsync();
            Assert.Equal(3, (await reading).Count);
        }

        // Counted when the gateway's handler ends, just after the caller has the trailers.
        await Poll.UntilAsync(async () => await MetricsText.SumAsync(fixture.Gateway, Streams, OkStreams) >= before + 1);
        Assert.Equal(0, await MetricsText.SumAsync(fixture.Gateway, "serving_gateway_request_duration_seconds_count", "protocol=\"grpc-stream\""));
    }

    [Fact]
    public async Task LaterMessageForAnotherVersionOrModel_RefusedInTheStream_TheRestServed()
    {
        await Policies.SetAsync(fixture.Gateway, Policies.TwoVersions(0, 100));

        using var call = fixture.Gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(30));
        var reading = StreamInferCalls.ReadAllAsync(call);
        await call.RequestStream.WriteAsync(Request("first"));
        await call.RequestStream.WriteAsync(Request("other-version", version: "1"));
        await call.RequestStream.WriteAsync(Request("other-model", model: "digits"));
        await call.RequestStream.WriteAsync(Request("last"));
        await call.RequestStream.CompleteAsync();
        var answers = (await reading).ToDictionary(a => a.InferResponse.Id);

        Assert.Equal(4, answers.Count);
        Assert.Equal("", answers["first"].ErrorMessage);
        Assert.Equal("", answers["last"].ErrorMessage);
        Assert.Contains("routed by its first message to version 2", answers["other-version"].ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("open another stream for model 'digits'", answers["other-model"].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData("no_such_model", "", StatusCode.NotFound)]
    [InlineData("tabular", "9", StatusCode.NotFound)]
    [InlineData("../../etc", "", StatusCode.InvalidArgument)]
    public async Task FirstMessageCannotBeRouted_TheCallEndsWithItsStatus(string model, string version, StatusCode expected)
    {
        using var call = fixture.Gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(30));
        var write = call.RequestStream.WriteAsync(Request("x", version, model));

        var error = await Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call));
        Assert.Equal(expected, error.StatusCode);
        await Observe(write);
    }

    [Fact]
    public async Task UnreadableFirstMessage_InvalidArgument()
    {
        using var call = StreamInferCalls.OpenRaw(fixture.Gateway.Channel.CreateCallInvoker(), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)));
        var write = call.RequestStream.WriteAsync([0x0a, 0xff, 0xff]); // field 1, a length past the end

        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        await Observe(write);
    }

    [Fact]
    public async Task NoMessages_EndsWithOkAndNoAnswers()
    {
        using var call = fixture.Gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(30));
        await call.RequestStream.CompleteAsync();

        Assert.Empty(await StreamInferCalls.ReadAllAsync(call));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task StreamIdleBeforeAndBetweenMessages_StaysOpen()
    {
        // Kestrel cuts a request body slower than 240 bytes/s once its 5 s grace period is over; a stream is not one.
        var idle = TimeSpan.FromSeconds(6);
        using var call = fixture.Gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(60));
        var reading = StreamInferCalls.ReadAllAsync(call);
        await Task.Delay(idle);
        await call.RequestStream.WriteAsync(Request("after-idle"));
        await Task.Delay(idle);
        await call.RequestStream.WriteAsync(Request("after-second-idle"));
        await call.RequestStream.CompleteAsync();

        var answers = await reading;
        Assert.Equal(["after-idle", "after-second-idle"], answers.Select(a => a.InferResponse.Id).Order());
        Assert.All(answers, a => Assert.Equal("", a.ErrorMessage));
    }

    private static ModelInferRequest Request(string id, string version = "", string model = "tabular")
    {
        var request = Infer.GrpcRequest(model, version);
        request.Id = id;
        return request;
    }

    // A write racing the gateway's early answer may fail either way; the status is read from the answer side.
    private static async Task Observe(Task write)
    {
        try
        {
            await write;
        }
        catch (RpcException)
        {
        }
    }

}
