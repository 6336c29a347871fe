using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// A seeded sweep of ModelStreamInfer on a real worker: good and bad messages mixed, unreadable ones, many at once on a
/// small queue, deadlines, cancels and resets mid-stream, a model unloaded under a stream. The oracle: one answer per
/// request (its id echoed), a good one equal to ModelInfer's, a bad one its reason, the stream going on; a stream that
/// ends does so with the right status after the answers owed, within a bound; no Error log for caller input; nothing
/// left in the queue; every request counted once; the worker serves the next stream.
/// </summary>
public sealed class StreamInferSweepTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MixedGoodAndBadMessages_EachAnsweredOnceWithItsReason_TheStreamGoesOn()
    {
        const int Seed = 20261207, Streams = 20, Messages = 40;
        await using var worker = await StreamInferSweepWorker.StartAsync("sweep_mixed");
        var random = new Random(Seed);
        var problems = new List<string>();
        var (counted, ok) = (0, 0);
        for (var s = 0; s < Streams; s++)
        {
            // At the worker each message names its own version (no gateway routed the stream): "", 1 and 2 mixed.
            var cases = StreamMutations.Mixed(random, Messages, worker.Model, "", StreamMutations.Target.Worker, $"s{s}");
            foreach (var c in cases.Where(c => c.Reason is null))
            {
                c.Request.ModelVersion = random.Next(3) switch { 0 => "", 1 => "1", _ => "2" };
            }

            var (answers, status) = await StreamMutations.SendAsync(worker.Server.Grpc, cases.Select(c => c.Request), Bound);
            if (status.StatusCode != StatusCode.OK)
            {
                problems.Add($"seed {Seed} stream {s}: ended {status}");
            }

            problems.AddRange((await StreamMutations.CheckAsync(cases, answers, r =>
            {
                counted++;
                ok++;
                return worker.AloneAsync(r);
            })).Select(p => $"seed {Seed} stream {s}: {p}"));
            counted += cases.Count(c => c.Request.ModelName == worker.Model);
            ok += cases.Count(c => c.Reason is null);
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        await worker.AssertMetricAsync("serving_inference_requests_total", "", counted);
        await worker.AssertMetricAsync("serving_inference_requests_total", "code=\"ok\"", ok);
        await worker.AssertLeftCleanAsync();
    }

    /// <summary>
    /// A message that can't be read ends the call with its status (README: INVALID_ARGUMENT, or RESOURCE_EXHAUSTED over
    /// MaxRequestBytes), after an answer to every message before it.
    /// </summary>
    [Fact]
    public async Task UnreadableMessage_AfterAMix_EndsTheStreamWithItsStatus_AfterEveryAnswerOwed()
    {
        const int Seed = 4242;
        await using var worker = await StreamInferSweepWorker.StartAsync("sweep_unreadable");
        var oversized = new byte[5 + StreamInferSweepWorker.MaxRequestBytes + 1];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(oversized.AsSpan(1), (uint)(oversized.Length - 5));
        var tails = new (string Kind, byte[] Tail, StatusCode Status, string Reason)[]
        {
            ("not-protobuf", RawGrpc.Frame([0x0a, 0xff, 0xff]), StatusCode.InvalidArgument, "malformed ModelInferRequest protobuf"),
            ("not-protobuf-text", RawGrpc.Frame("hello, worker"u8.ToArray()), StatusCode.InvalidArgument, "malformed ModelInferRequest protobuf"),
            ("oversized", oversized, StatusCode.ResourceExhausted, ""),
            ("length-2GiB", [0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3], StatusCode.ResourceExhausted, "2 GiB"),
            ("compressed-flag-2", [2, 0, 0, 0, 0], StatusCode.InvalidArgument, "could not be read"),
            ("compressed-without-encoding", [1, 0, 0, 0, 3, 1, 2, 3], StatusCode.InvalidArgument, "could not be read (Request did not include grpc-encoding"),
            ("partial-header-then-half-close", [0, 0, 0], StatusCode.InvalidArgument, "could not be read (Incomplete message)"),
            ("partial-message-then-half-close", [0, 0, 0, 0, 100, 0x0a, 0x03], StatusCode.InvalidArgument, "could not be read (Incomplete message)"),
        };
        var random = new Random(Seed);
        var problems = new List<string>();
        foreach (var (kind, tail, expected, reason) in tails)
        {
            var cases = StreamMutations.Mixed(random, random.Next(1, 12), worker.Model, "", StreamMutations.Target.Worker, kind);
            var answer = await StreamMutations.SendRawAsync(worker.Server.Listeners.GrpcPort, StreamMutations.Frames(cases.Select(c => c.Request), tail), Bound);
            if (answer.GrpcStatus != (int)expected || !answer.Message.Contains(reason, StringComparison.Ordinal))
            {
                problems.Add($"{kind}: expected {expected} holding '{reason}', got {answer}");
            }

            problems.AddRange((await StreamMutations.CheckAsync(cases, answer.Answers, worker.AloneAsync)).Select(p => $"{kind}: {p}"));
        }

        Assert.True(problems.Count == 0, $"seed {Seed}:\n" + string.Join("\n", problems));
        await worker.AssertLeftCleanAsync();
    }

    /// <summary>
    /// Hundreds of messages written at once on a stream whose model's queue holds two: the ones that find it full are
    /// answered RESOURCE_EXHAUSTED-style in <c>error_message</c>, the rest served; none lost, none answered twice.
    /// </summary>
    [Fact]
    public async Task ManyMessagesAtOnce_SmallQueue_SomeRefusedQueueFull_EveryOneAnsweredOnce()
    {
        const int Seed = 77, Messages = 400;
        await using var worker = await StreamInferSweepWorker.StartAsync("sweep_queue", "  max_queue_delay_us: 2000\n  max_queue_size: 2\n");
        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Messages).Select(i => new StreamMutations.Case("good", StreamMutations.Good(random, $"q-{i}", worker.Model, "2"), null)).ToList();

        var (answers, status) = await StreamMutations.SendAsync(worker.Server.Grpc, cases.Select(c => c.Request), Bound);

        Assert.Equal(StatusCode.OK, status.StatusCode);
        var (refused, problems) = await StreamMutations.CheckServedOrQueueFullAsync(cases, answers, worker.AloneAsync);
        Assert.True(problems.Count == 0, $"seed {Seed}:\n" + string.Join("\n", problems));

        await worker.AssertMetricAsync("serving_batch_rejected_total", "", refused);
        await worker.AssertMetricAsync("serving_inference_requests_total", "code=\"ResourceExhausted\"", refused);
        await worker.AssertLeftCleanAsync();
    }

    /// <summary>
    /// The stream's deadline passes while its requests wait in the queue: the worker ends the call DEADLINE_EXCEEDED itself
    /// (a raw client that does not keep the grpc-timeout), or the client does (Grpc.Net.Client); either way the requests
    /// leave the queue, each counted once, and nothing is logged as an error.
    /// </summary>
    [Fact]
    public async Task DeadlinePassesMidStream_CallEndsDeadlineExceeded_TheRequestsLeaveTheQueue()
    {
        await using var worker = await StreamInferSweepWorker.StartAsync("sweep_deadline", "  max_queue_delay_us: 2000000\n  max_queue_size: 64\n");
        var random = new Random(9);
        var requests = Enumerable.Range(0, 3).Select(i => StreamMutations.Good(random, $"d-{i}", worker.Model, "1")).ToList();
        var never = new TaskCompletionSource();

        // grpc-dotnet writes DEADLINE_EXCEEDED and resets the stream (CANCEL, the upload being still open): HttpClient may
        // see the reset only. A request expired by the batcher at the same deadline may be answered so first.
        var answer = await StreamMutations.SendRawAsync(worker.Server.Listeners.GrpcPort, StreamMutations.Frames(requests), Bound, never.Task, grpcTimeout: "500m");
        Assert.True(answer.GrpcStatus is (int)StatusCode.DeadlineExceeded or StreamMutations.Reset, answer.ToString());
        Assert.All(answer.Answers, a => Assert.Contains("deadline", a.ErrorMessage, StringComparison.Ordinal));
        await worker.WaitForQueueAsync(0);

        // Long enough for the three writes to be done (each counted once) well before it passes, while they are queued.
        using (var call = worker.Server.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.AddMilliseconds(1500)))
        {
            foreach (var request in requests)
            {
                await call.RequestStream.WriteAsync(request);
            }

            var (answers, status) = await StreamMutations.DrainAsync(call.ResponseStream, Bound);
            Assert.Equal(StatusCode.DeadlineExceeded, status.StatusCode);
            Assert.All(answers, a => Assert.Contains("deadline", a.ErrorMessage, StringComparison.Ordinal));
        }

        await worker.AssertMetricAsync("serving_inference_requests_total", "", 6);
        Assert.Equal(0, await worker.MetricAsync("serving_inference_requests_total", "code=\"ok\""));
        await worker.AssertLeftCleanAsync();
    }

    /// <summary>
    /// A caller that cancels, or resets its stream part way through a message, while requests wait in the queue: they
    /// leave it, each counted once; one that half-closes with requests in flight gets every answer.
    /// </summary>
    [Fact]
    public async Task CancelResetOrHalfCloseWithRequestsQueued_CancelledOnesLeaveTheQueue_HalfClosedOnesAllAnswered()
    {
        await using var worker = await StreamInferSweepWorker.StartAsync("sweep_cancel", "  max_queue_delay_us: 1000000\n  max_queue_size: 64\n");
        var random = new Random(13);
        List<ModelInferRequest> Requests(string prefix) => [.. Enumerable.Range(0, 3).Select(i => StreamMutations.Good(random, $"{prefix}-{i}", worker.Model, "1"))];

        using (var cancel = new CancellationTokenSource())
        {
            using var call = worker.Server.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.Add(Bound), cancellationToken: cancel.Token);
            foreach (var request in Requests("cancelled"))
            {
                await call.RequestStream.WriteAsync(request);
            }

            await worker.WaitForQueueAsync(3);
            await cancel.CancelAsync();
            var (_, status) = await StreamMutations.DrainAsync(call.ResponseStream, Bound);
            Assert.Equal(StatusCode.Cancelled, status.StatusCode);
            await worker.WaitForQueueAsync(0);
        }

        var reset = StreamMutations.Frames(Requests("reset"), RawGrpc.Frame(StreamMutations.Good(random, "cut", worker.Model, "1").ToByteArray())[..40]);
        await Http2Frames.ResetMidMessageAsync(
            worker.Server.Listeners.GrpcPort, reset, reset.Length, () => worker.WaitForQueueAsync(0), StreamInferPath, () => worker.WaitForQueueAsync(3));

        var halfClosed = Requests("half-closed");
        using (var call = worker.Server.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.Add(Bound)))
        {
            foreach (var request in halfClosed)
            {
                await call.RequestStream.WriteAsync(request);
            }

            await worker.WaitForQueueAsync(3);
            await call.RequestStream.CompleteAsync();
            var (answers, status) = await StreamMutations.DrainAsync(call.ResponseStream, Bound);
            Assert.Equal(StatusCode.OK, status.StatusCode);
            var problems = await StreamMutations.CheckAsync([.. halfClosed.Select(r => new StreamMutations.Case("good", r, null))], answers, worker.AloneAsync);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }

        await worker.AssertMetricAsync("serving_inference_requests_total", "code=\"Cancelled\"", 6);
        await worker.AssertLeftCleanAsync();
    }

    /// <summary>
    /// Callers that cancel (RST_STREAM) while their requests run, one after another on one connection: Kestrel may fail
    /// the worker's read of the reset stream before it cancels the call, and that read's IOException reached grpc-dotnet
    /// as an Error "Error when executing service method 'ModelStreamInfer'" (seen through the gateway's pooled connection).
    /// </summary>
    [Fact]
    public async Task StreamsCancelledWithRequestsRunning_OneAfterAnother_NoErrorLogged()
    {
        const int Rounds = 100;
        await using var worker = await StreamInferSweepWorker.StartAsync("sweep_reset");
        var random = new Random(17);
        for (var round = 0; round < Rounds; round++)
        {
            using var cancel = new CancellationTokenSource();
            using var call = worker.Server.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.Add(Bound), cancellationToken: cancel.Token);
            for (var i = 0; i < 1 + (round % 5); i++)
            {
                await call.RequestStream.WriteAsync(StreamMutations.Good(random, $"r{round}-{i}", worker.Model, "2"));
            }

            await cancel.CancelAsync();
            var (_, status) = await StreamMutations.DrainAsync(call.ResponseStream, Bound);
            Assert.Equal(StatusCode.Cancelled, status.StatusCode);
        }

        await worker.AssertLeftCleanAsync();
    }

    /// <summary>
    /// The stream's model is unloaded and loaded again under it: the messages sent meanwhile are each refused with the
    /// reason (the model is unloaded), those after the load served, and the stream goes on throughout.
    /// </summary>
    [Fact]
    public async Task ModelUnloadedThenLoadedUnderAStream_MessagesRefusedWithTheReasonMeanwhile_TheStreamGoesOn()
    {
        const string Token = "sweep-token";
        await using var worker = await StreamInferSweepWorker.StartAsync("sweep_reload", settings: new Dictionary<string, string?>
        {
            ["Serving:Worker:AdminToken"] = Token,
            ["Serving:Worker:RepositoryPollInterval"] = "00:00:00.100",
        });
        var random = new Random(21);
        using var call = worker.Server.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.Add(Bound));

        async Task<List<ModelStreamInferResponse>> RoundAsync(string prefix)
        {
            var answers = new List<ModelStreamInferResponse>();
            for (var i = 0; i < 5; i++)
            {
                await call.RequestStream.WriteAsync(StreamMutations.Good(random, $"{prefix}-{i}", worker.Model, i % 2 == 0 ? "" : "2"));
            }

            for (var i = 0; i < 5; i++)
            {
                using var timeout = new CancellationTokenSource(Bound);
                Assert.True(await call.ResponseStream.MoveNext(timeout.Token), $"the stream ended in round {prefix}");
                answers.Add(call.ResponseStream.Current);
            }

            Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{prefix}-{i}").Order(), answers.Select(a => a.InferResponse.Id).Order());
            return answers;
        }

        Assert.All(await RoundAsync("loaded"), a => Assert.Equal("", a.ErrorMessage));
        Assert.Equal(System.Net.HttpStatusCode.OK, await ControlAsync(worker, "unload", Token));
        Assert.All(await RoundAsync("unloaded"), a => Assert.Contains($"model '{worker.Model}' is unloaded", a.ErrorMessage, StringComparison.Ordinal));
        Assert.Equal(System.Net.HttpStatusCode.OK, await ControlAsync(worker, "load", Token));
        Assert.All(await RoundAsync("reloaded"), a => Assert.Equal("", a.ErrorMessage));
        await call.RequestStream.CompleteAsync();
        var (rest, status) = await StreamMutations.DrainAsync(call.ResponseStream, Bound);
        Assert.Equal((StatusCode.OK, 0), (status.StatusCode, rest.Count));
        await worker.AssertLeftCleanAsync();
    }

    private const string StreamInferPath = "/inference.GRPCInferenceService/ModelStreamInfer";

    private static async Task<System.Net.HttpStatusCode> ControlAsync(StreamInferSweepWorker worker, string action, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/repository/models/{worker.Model}/{action}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await worker.Server.Http.SendAsync(request);
        return response.StatusCode;
    }
}
