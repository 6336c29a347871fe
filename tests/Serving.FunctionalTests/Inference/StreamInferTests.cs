using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>Triton's ModelStreamInfer on the worker: requests and answers on one stream, matched by id.</summary>
[Collection(SharedWorkerCollection.Name)]
public sealed class StreamInferTests(SharedWorkerFixture fixture)
{
    [Fact]
    public async Task MixedRequests_EachAnsweredOnceById_EqualToModelInfer()
    {
        var random = new Random(7);
        var requests = new List<ModelInferRequest>();
        var golden = GoldenFile.Load("tabular", "2");
        for (var i = 0; i < 40; i++)
        {
            requests.Add(i % 3 == 0 ? Tabular(golden, $"tab-{i}", raw: i % 2 == 0) : Identity($"id-{i}", random.Next(1, 5), random.Next(1, 9), random));
        }

        using var call = fixture.Server.Grpc.ModelStreamInfer();
        var reading = StreamInferCalls.ReadAllAsync(call);
        foreach (var request in requests)
        {
            await call.RequestStream.WriteAsync(request);
        }

        await call.RequestStream.CompleteAsync();
        var answers = await reading;

        Assert.Equal(requests.Count, answers.Count);
        Assert.All(answers, a => Assert.Equal("", a.ErrorMessage));
        var byId = answers.ToDictionary(a => a.InferResponse.Id);
        foreach (var request in requests)
        {
            var alone = await fixture.Server.Grpc.ModelInferAsync(request);
            var streamed = byId[request.Id].InferResponse;
            Assert.Equal(alone.ModelName, streamed.ModelName);
            Assert.Equal(alone.ModelVersion, streamed.ModelVersion);
            Assert.Equal(alone.Outputs, streamed.Outputs);
            Assert.Equal(alone.RawOutputContents, streamed.RawOutputContents);
        }
    }

    [Fact]
    public async Task BadRequests_AnsweredWithTheirReasonAndId_TheStreamGoesOn()
    {
        var random = new Random(3);
        var wrongShape = Identity("wrong-shape", 1, 3, random);
        wrongShape.Inputs[0].Shape[1] = 4; // 3 values sent
        var wrongType = Identity("wrong-type", 1, 2, random);
        wrongType.Inputs[0].Datatype = "INT32";
        wrongType.Inputs[0].Contents = new InferTensorContents { IntContents = { 1, 2 } };
        var bad = new (ModelInferRequest Request, string Reason)[]
        {
            (new ModelInferRequest { ModelName = "no_such_model", Id = "unknown" }, "no_such_model"),
            (new ModelInferRequest { ModelName = "../etc/passwd", Id = "path-like" }, "not valid"),
            (new ModelInferRequest { ModelName = "tabular", ModelVersion = "9", Id = "no-version" }, "version"),
            (wrongShape, "shape"),
            (wrongType, "INT32"),
        };

        using var call = fixture.Server.Grpc.ModelStreamInfer();
        var reading = StreamInferCalls.ReadAllAsync(call);
        foreach (var (request, _) in bad)
        {
            await call.RequestStream.WriteAsync(request);
        }

        var good = Identity("good", 2, 3, random);
        await call.RequestStream.WriteAsync(good);
        await call.RequestStream.CompleteAsync();
        var answers = (await reading).ToDictionary(a => a.InferResponse.Id);

        Assert.Equal(bad.Length + 1, answers.Count);
        foreach (var (request, reason) in bad)
        {
            var answer = answers[request.Id];
            Assert.Contains(reason, answer.ErrorMessage, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(request.ModelName, answer.InferResponse.ModelName);
            Assert.Empty(answer.InferResponse.Outputs);
        }

        Assert.Equal("", answers["good"].ErrorMessage);
        Assert.Equal(good.Inputs[0].Contents.Fp32Contents, answers["good"].InferResponse.Outputs[0].Contents.Fp32Contents);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task EnableEmptyFinalResponse_EveryAnswerSaysItIsTheLast_AWrongTypeIsRefused()
    {
        var random = new Random(11);
        var asked = Identity("asked", 1, 2, random);
        asked.Parameters["triton_enable_empty_final_response"] = new InferParameter { BoolParam = true };
        var askedAndFailed = new ModelInferRequest { ModelName = "no_such_model", Id = "asked-failed" };
        askedAndFailed.Parameters["triton_enable_empty_final_response"] = new InferParameter { BoolParam = true };
        var off = Identity("off", 1, 2, random);
        off.Parameters["triton_enable_empty_final_response"] = new InferParameter { BoolParam = false };
        var wrongType = Identity("wrong-type", 1, 2, random);
        wrongType.Parameters["triton_enable_empty_final_response"] = new InferParameter { StringParam = "yes" };

        using var call = fixture.Server.Grpc.ModelStreamInfer();
        var reading = StreamInferCalls.ReadAllAsync(call);
        foreach (var request in new[] { asked, askedAndFailed, off, wrongType, Identity("plain", 1, 2, random) })
        {
            await call.RequestStream.WriteAsync(request);
        }

        await call.RequestStream.CompleteAsync();
        var answers = (await reading).ToDictionary(a => a.InferResponse.Id);

        Assert.Equal("", answers["asked"].ErrorMessage);
        Assert.True(answers["asked"].InferResponse.Parameters["triton_final_response"].BoolParam);
        Assert.NotEqual("", answers["asked-failed"].ErrorMessage);
        Assert.True(answers["asked-failed"].InferResponse.Parameters["triton_final_response"].BoolParam);
        Assert.False(answers["off"].InferResponse.Parameters.ContainsKey("triton_final_response"));
        Assert.False(answers["plain"].InferResponse.Parameters.ContainsKey("triton_final_response"));
        Assert.Equal("invalid value type for 'triton_enable_empty_final_response' parameter, expected bool_param", answers["wrong-type"].ErrorMessage);
    }

    /// <summary>
    /// The response headers go out when the stream opens, before any answer: grpc-dotnet ends a call whose deadline
    /// passed by writing its status into the headers when the response hasn't started, and an answer written at that
    /// moment made it throw "Headers are read-only" (logged as an error), leaving the call open and its token uncancelled:
    /// a stream whose requests the batcher expired at the call's deadline hung (the sweep's
    /// DeadlinePassesMidStream_CallEndsDeadlineExceeded_TheRequestsLeaveTheQueue, 1 run in 3 or 4).
    /// </summary>
    [Fact]
    public async Task StreamOpened_ResponseHeadersComeBeforeAnyAnswer()
    {
        using var call = fixture.Server.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(30));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var headers = await call.ResponseHeadersAsync.WaitAsync(timeout.Token);

        Assert.NotNull(headers);
        await call.RequestStream.CompleteAsync();
        Assert.Empty(await StreamInferCalls.ReadAllAsync(call));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task NoRequests_EndsWithOkAndNoAnswers()
    {
        using var call = fixture.Server.Grpc.ModelStreamInfer();
        await call.RequestStream.CompleteAsync();

        Assert.Empty(await StreamInferCalls.ReadAllAsync(call));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task UnreadableMessage_EndsTheCallInvalidArgument_AfterTheAnswersOwed()
    {
        using var call = StreamInferCalls.OpenRaw(fixture.Server.Channel.CreateCallInvoker());
        await call.RequestStream.WriteAsync(Identity("before", 1, 2, new Random(1)).ToByteArray());
        await call.RequestStream.WriteAsync([0x0a, 0xff, 0xff]); // field 1, a length past the end

        var answers = new List<ModelStreamInferResponse>();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var bytes in call.ResponseStream.ReadAllAsync())
            {
                answers.Add(ModelStreamInferResponse.Parser.ParseFrom(bytes));
            }
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("malformed", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("before", Assert.Single(answers).InferResponse.Id);
    }

    /// <summary>
    /// A message header grpc-dotnet can't read ends the stream with the right status after the answers owed: a length of
    /// 2 GiB or more RESOURCE_EXHAUSTED, a compressed flag other than 0 or 1 INVALID_ARGUMENT (both were UNKNOWN); a
    /// compressed flag without a grpc-encoding, or a message the stream's end cuts short, INVALID_ARGUMENT (were INTERNAL).
    /// </summary>
    [Theory]
    [InlineData(new byte[] { 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0A, 0x00 }, StatusCode.ResourceExhausted, "declares a length of 2 GiB or more")]
    [InlineData(new byte[] { 0, 0x80, 0, 0, 0 }, StatusCode.ResourceExhausted, "declares a length of 2 GiB or more")]
    [InlineData(new byte[] { 2, 0, 0, 0, 0 }, StatusCode.InvalidArgument, "could not be read")]
    [InlineData(new byte[] { 1, 0, 0, 0, 3, 1, 2, 3 }, StatusCode.InvalidArgument, "could not be read (Request did not include grpc-encoding value with compressed message)")]
    [InlineData(new byte[] { 0, 0, 0 }, StatusCode.InvalidArgument, "could not be read (Incomplete message)")]
    [InlineData(new byte[] { 0, 0, 0, 0, 100, 0x0a, 0x03 }, StatusCode.InvalidArgument, "could not be read (Incomplete message)")]
    public async Task MalformedFrameHeader_EndsTheCallWithItsStatus_AfterTheAnswersOwed(byte[] header, StatusCode expected, string reason)
    {
        var before = Identity("before", 1, 2, new Random(1)).ToByteArray();
        var body = new byte[5 + before.Length + header.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)before.Length);
        before.CopyTo(body, 5);
        header.CopyTo(body, 5 + before.Length);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{fixture.Server.Listeners.GrpcPort}/inference.GRPCInferenceService/ModelStreamInfer")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TE.ParseAdd("trailers");

        using var response = await http.SendAsync(request);
        var answer = await response.Content.ReadAsByteArrayAsync();

        var status = response.TrailingHeaders.GetValues("grpc-status").Single();
        var message = Uri.UnescapeDataString(response.TrailingHeaders.GetValues("grpc-message").Single());
        Assert.True(status == ((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture), $"grpc-status {status}: {message}");
        Assert.Contains(reason, message, StringComparison.Ordinal);
        var first = ModelStreamInferResponse.Parser.ParseFrom(answer.AsSpan(5, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(answer.AsSpan(1))));
        Assert.Equal("before", first.InferResponse.Id);
    }

    [Fact]
    public async Task MessageOverTheSizeLimit_EndsTheCallResourceExhausted()
    {
        var big = new ModelInferRequest { ModelName = "identity_fp32", Id = "big" };
        big.RawInputContents.Add(ByteString.CopyFrom(new byte[SharedWorkerFixture.MaxRequestBytes + 1]));
        using var call = fixture.Server.Grpc.ModelStreamInfer();

        // The worker may end the call before the client has finished sending the message, and the write then fails
        // (with the status or as cancelled, as the race goes): the status is read from the answer side.
        var write = call.RequestStream.WriteAsync(big);
        var error = await Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call));
        try
        {
            await write;
        }
        catch (RpcException)
        {
            // the race above
        }
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task CallerCancelsMidStream_TheWorkerGoesOnServingStreams()
    {
        var random = new Random(5);
        using (var cancelled = new CancellationTokenSource())
        {
            using var call = fixture.Server.Grpc.ModelStreamInfer(cancellationToken: cancelled.Token);
            for (var i = 0; i < 20; i++)
            {
                await call.RequestStream.WriteAsync(Identity($"c-{i}", 4, 8, random));
            }

            await cancelled.CancelAsync();
            var error = await Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call));
            Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        }

        using var next = fixture.Server.Grpc.ModelStreamInfer();
        var reading = StreamInferCalls.ReadAllAsync(next);
        await next.RequestStream.WriteAsync(Identity("after", 1, 2, random));
        await next.RequestStream.CompleteAsync();
        Assert.Equal("after", Assert.Single(await reading).InferResponse.Id);
    }

    [Fact]
    public async Task WorkerShutsDown_OpenStreamEndsUnavailable_AfterTheAnswersOwed_InsteadOfHoldingTheDrain()
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path);
        var golden = GoldenFile.Load("tabular", "2");
        using var call = worker.Grpc.ModelStreamInfer();
        await call.RequestStream.WriteAsync(Tabular(golden, "before-stop", raw: true));
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(("", "before-stop"), (call.ResponseStream.Current.ErrorMessage, call.ResponseStream.Current.InferResponse.Id));

        // The stream stays open (the caller never ends its side): without the drain signal the worker would wait
        // its whole drain timeout (30 s) for it, and the caller would learn nothing about why.
        var stopping = worker.App.StopAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call));
        await stopping;

        Assert.True(error.StatusCode == StatusCode.Unavailable, $"{error.StatusCode}: {error.Status.Detail} {error.Status.DebugException}");
        Assert.Contains("the worker is shutting down: open a new stream", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkerShutsDown_ConnectionsStayUpForTheLinger_AfterTheStreamsEnded()
    {
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?> { ["Serving:Shutdown:StreamEndLinger"] = "00:00:05" });
        var golden = GoldenFile.Load("tabular", "2");
        using var call = worker.Grpc.ModelStreamInfer();
        await call.RequestStream.WriteAsync(Tabular(golden, "before-stop", raw: true));
        Assert.True(await call.ResponseStream.MoveNext());

        var stopping = worker.App.StopAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => StreamInferCalls.ReadAllAsync(call));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);

        // The stream's status is out, and its connection is still up: a proxy in between can read that status before
        // the connection goes (.NET's HTTP/2 client drops what it had not read of a stream whose connection closes).
        // Without the linger the listeners close at once, and this call meets a closed connection.
        var after = await worker.Grpc.ModelInferAsync(Tabular(golden, "after-the-stream", raw: true));
        Assert.Equal("after-the-stream", after.Id);
        Assert.False(stopping.IsCompleted);
        await stopping;
    }

    private static ModelInferRequest Identity(string id, int rows, int columns, Random random)
    {
        var request = new ModelInferRequest { ModelName = "identity_fp32", Id = id };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange([rows, columns]);
        for (var i = 0; i < rows * columns; i++)
        {
            input.Contents.Fp32Contents.Add((float)random.NextDouble());
        }

        request.Inputs.Add(input);
        return request;
    }

    private static ModelInferRequest Tabular(GoldenFile golden, string id, bool raw)
    {
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "2", Id = id };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = golden.InputName, Datatype = "FP32" };
        input.Shape.AddRange(golden.InputShape);
        if (raw)
        {
            request.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(golden.Input.AsSpan())));
        }
        else
        {
            input.Contents = new InferTensorContents();
            input.Contents.Fp32Contents.AddRange(golden.Input);
        }

        request.Inputs.Add(input);
        return request;
    }
}
