using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Protocol.Inference;
using Serving.Testing;
using StatusCode = Grpc.Core.StatusCode;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// The seeded ModelStreamInfer sweep (Serving.Testing/StreamMutations) through a real gateway in front of a real worker:
/// a stream is routed by its first message, so a later message for another model or version is refused in the stream,
/// each bad message is answered with its reason, each good one as ModelInfer through the gateway answers it; a message
/// the worker can't read ends the call with the worker's status; a caller that cancels, resets or lets its deadline
/// pass leaves the worker in rotation. Neither host logs an Error for caller input; the gateway serves the next call.
/// </summary>
public sealed class StreamSweepTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MixedGoodAndBadMessages_ThroughTheGateway_EachAnsweredOnceWithItsReason()
    {
        const int Seed = 31337, Streams = 12, Messages = 30;
        await using var hosts = await Hosts.StartAsync();
        var random = new Random(Seed);
        var problems = new List<string>();
        for (var s = 0; s < Streams; s++)
        {
            var version = s % 2 == 0 ? "1" : "2";
            var other = version == "1" ? "2" : "1";
            var cases = StreamMutations.Mixed(random, Messages, "tabular", version, StreamMutations.Target.Gateway, $"g{s}");
            for (var i = 1; i < cases.Count; i++)
            {
                // A good message may leave its version to the one the stream was routed to, or name another (refused).
                if (cases[i].Reason is null && random.Next(4) == 0)
                {
                    cases[i].Request.ModelVersion = other;
                    cases[i] = cases[i] with { Kind = "other-version", Reason = $"routed by its first message to version {version}" };
                }
                else if (cases[i].Reason is null && random.Next(2) == 0)
                {
                    cases[i].Request.ModelVersion = "";
                }
            }

            var (answers, status) = await StreamMutations.SendAsync(hosts.Gateway.Grpc, cases.Select(c => c.Request), Bound);
            if (status.StatusCode != StatusCode.OK)
            {
                problems.Add($"stream {s}: ended {status}");
            }

            problems.AddRange((await StreamMutations.CheckAsync(cases, answers, r => hosts.AloneAsync(r, version))).Select(p => $"stream {s}: {p}"));
        }

        Assert.True(problems.Count == 0, $"seed {Seed}:\n" + string.Join("\n", problems));
        await hosts.AssertLeftCleanAsync();
    }

    /// <summary>
    /// A message the worker can't read, after a mix, with the caller's upload half-closed or still open: the call ends with
    /// the worker's status and reason after every answer owed, as it does at the worker.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UnreadableLaterMessage_ThroughTheGateway_EndsTheCallWithTheWorkersStatus_AfterEveryAnswerOwed(bool uploadOpen)
    {
        const int Seed = 5150;
        await using var hosts = await Hosts.StartAsync();
        var oversized = new byte[5 + Hosts.WorkerMaxRequestBytes + 1];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(oversized.AsSpan(1), (uint)(oversized.Length - 5));
        var tails = new (string Kind, byte[] Tail, StatusCode Status, string Reason, bool CutShort)[]
        {
            ("not-protobuf", RawGrpc.Frame([0x0a, 0xff, 0xff]), StatusCode.InvalidArgument, "malformed ModelInferRequest protobuf", false),
            ("oversized", oversized, StatusCode.ResourceExhausted, "", false),
            ("compressed-flag-2", [2, 0, 0, 0, 0], StatusCode.InvalidArgument, "could not be read", false),
            ("compressed-without-encoding", [1, 0, 0, 0, 3, 1, 2, 3], StatusCode.InvalidArgument, "could not be read", false),
            ("message-cut-short", [0, 0, 0, 0, 100, 0x0a, 0x03], StatusCode.InvalidArgument, "could not be read (Incomplete message)", true),
        };
        var random = new Random(Seed);
        var problems = new List<string>();
        foreach (var (kind, tail, expected, reason, cutShort) in tails)
        {
            if (cutShort && uploadOpen)
            {
                continue; // a message cut short is only unreadable once the upload ends
            }

            var cases = StreamMutations.Mixed(random, random.Next(1, 10), "tabular", "2", StreamMutations.Target.Gateway, kind);
            var open = new TaskCompletionSource();
            var answer = await StreamMutations.SendRawAsync(
                hosts.Gateway.Listeners.GrpcPort, StreamMutations.Frames(cases.Select(c => c.Request), tail), Bound, uploadOpen ? open.Task : null);
            open.SetResult();
            if (answer.GrpcStatus != (int)expected || !answer.Message.Contains(reason, StringComparison.Ordinal))
            {
                problems.Add($"{kind}: expected {expected} holding '{reason}', got {answer}");
            }

            problems.AddRange((await StreamMutations.CheckAsync(cases, answer.Answers, r => hosts.AloneAsync(r, "2"))).Select(p => $"{kind}: {p}"));
        }

        Assert.True(problems.Count == 0, $"seed {Seed}, upload open {uploadOpen}:\n" + string.Join("\n", problems));
        await hosts.AssertLeftCleanAsync();
    }

    /// <summary>
    /// Hundreds of messages at once through the gateway to a worker whose queue holds two: those that find it full are
    /// refused in the stream ('the queue is full'), the rest served as ModelInfer serves them, none lost or answered twice,
    /// and the worker stays in rotation.
    /// </summary>
    [Fact]
    public async Task ManyMessagesAtOnce_SmallQueue_ThroughTheGateway_SomeRefusedInTheStream_EveryOneAnsweredOnce()
    {
        const int Seed = 808, Messages = 300;
        await using var hosts = await Hosts.StartAsync("  max_queue_delay_us: 2000\n  max_queue_size: 2\n");
        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Messages).Select(i => new StreamMutations.Case("good", StreamMutations.Good(random, $"q-{i}", "tabular", "2"), null)).ToList();

        var (answers, status) = await StreamMutations.SendAsync(hosts.Gateway.Grpc, cases.Select(c => c.Request), Bound);

        Assert.Equal(StatusCode.OK, status.StatusCode);
        var (_, problems) = await StreamMutations.CheckServedOrQueueFullAsync(cases, answers, r => hosts.AloneAsync(r, "2"));
        Assert.True(problems.Count == 0, $"seed {Seed}:\n" + string.Join("\n", problems));
        await hosts.AssertLeftCleanAsync();
    }

    /// <summary>
    /// Callers that go away mid-stream with requests in flight (a cancel, an RST_STREAM part way through a message, a
    /// deadline the gateway passes on as grpc-timeout) or send no message at all: the worker stays in rotation.
    /// </summary>
    [Fact]
    public async Task CallersCancelResetOrTimeOutMidStream_TheWorkerStaysInRotation()
    {
        await using var hosts = await Hosts.StartAsync();
        var random = new Random(99);
        List<ModelInferRequest> Requests(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => StreamMutations.Good(random, $"{prefix}-{i}", "tabular", "2"))];

        for (var round = 0; round < 3; round++)
        {
            using (var cancel = new CancellationTokenSource())
            {
                using var call = hosts.Gateway.Grpc.ModelStreamInfer(deadline: DateTime.UtcNow.Add(Bound), cancellationToken: cancel.Token);
                foreach (var request in Requests($"cancel{round}", 20))
                {
                    await call.RequestStream.WriteAsync(request);
                }

                await cancel.CancelAsync();
                var (_, status) = await StreamMutations.DrainAsync(call.ResponseStream, Bound);
                Assert.Equal(StatusCode.Cancelled, status.StatusCode);
            }

            var reset = StreamMutations.Frames(Requests($"reset{round}", 5), RawGrpc.Frame(StreamMutations.Good(random, "cut", "tabular", "2").ToByteArray())[..40]);
            await Http2Frames.ResetMidMessageAsync(hosts.Gateway.Listeners.GrpcPort, reset, reset.Length, () => Task.Delay(50), "/inference.GRPCInferenceService/ModelStreamInfer");

            var timedOut = await StreamMutations.SendRawAsync(
                hosts.Gateway.Listeners.GrpcPort, StreamMutations.Frames(Requests($"deadline{round}", 3)), Bound, new TaskCompletionSource().Task, grpcTimeout: "300m");
            Assert.True(timedOut.GrpcStatus == (int)StatusCode.DeadlineExceeded, timedOut.ToString());

            var empty = await StreamMutations.SendRawAsync(hosts.Gateway.Listeners.GrpcPort, [], Bound);
            Assert.True(empty.GrpcStatus == (int)StatusCode.OK && empty.Answers.Count == 0, empty.ToString());
        }

        await hosts.AssertLeftCleanAsync();
    }

    /// <summary>
    /// The caller's grpc-timeout passes with its upload still open (a client that doesn't keep its own deadline): the worker
    /// ends the call at that deadline and resets the stream, and the caller is told its deadline passed, not that the
    /// worker "broke off the stream (it went away or shut down)" (UNAVAILABLE, which says to go elsewhere).
    /// </summary>
    [Fact]
    public async Task DeadlinePassesWithTheUploadOpen_ThroughTheGateway_DeadlineExceeded_NotUnavailable()
    {
        await using var hosts = await Hosts.StartAsync();
        var random = new Random(7);
        var cases = Enumerable.Range(0, 2).Select(i => new StreamMutations.Case("good", StreamMutations.Good(random, $"d-{i}", "tabular", "2"), null)).ToList();

        var answer = await StreamMutations.SendRawAsync(
            hosts.Gateway.Listeners.GrpcPort, StreamMutations.Frames(cases.Select(c => c.Request)), Bound, new TaskCompletionSource().Task, grpcTimeout: "500m");

        // The worker's own DEADLINE_EXCEEDED when its trailers come through before its reset, else the gateway's.
        Assert.True(answer.GrpcStatus == (int)StatusCode.DeadlineExceeded, answer.ToString());
        var problems = await StreamMutations.CheckAsync(cases, answer.Answers, r => hosts.AloneAsync(r, "2"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        await hosts.AssertLeftCleanAsync();
    }

    /// <summary>A worker and a gateway in front of it, both logging to a capture.</summary>
    private sealed class Hosts : IAsyncDisposable
    {
        public const int WorkerMaxRequestBytes = 1024 * 1024;

        private readonly TempDirectory _repository;

        private Hosts(TempDirectory repository, WorkerServer worker, GatewayServer gateway, CapturingLoggerProvider logs)
        {
            _repository = repository;
            Worker = worker;
            Gateway = gateway;
            Logs = logs;
        }

        public WorkerServer Worker { get; }

        public GatewayServer Gateway { get; }

        public CapturingLoggerProvider Logs { get; }

        /// <summary>Starts both; <paramref name="batchingYaml"/>, when given, is tabular's dynamic_batching section.</summary>
        public static async Task<Hosts> StartAsync(string? batchingYaml = null)
        {
            var logs = new CapturingLoggerProvider();
            Action<TracerProviderBuilder> capture = t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs));
            var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
            if (batchingYaml is not null)
            {
                var yaml = Path.Combine(repository.Path, "tabular", "model.yaml");
                await File.WriteAllTextAsync(yaml, ModelYaml.WithSection(await File.ReadAllTextAsync(yaml), "dynamic_batching", batchingYaml));
            }

            var worker = await WorkerServer.StartAsync(
                repository.Path, new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = WorkerMaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) }, capture);
            var gateway = await GatewayServer.StartAsync([worker], tracing: capture);
            return new Hosts(repository, worker, gateway, logs);
        }

        /// <summary>The request sent as a unary ModelInfer through the gateway to <paramref name="version"/>.</summary>
        public async Task<ModelInferResponse> AloneAsync(ModelInferRequest request, string version)
        {
            var alone = request.Clone();
            alone.ModelVersion = version;
            return await Gateway.Grpc.ModelInferAsync(alone, deadline: DateTime.UtcNow.Add(Bound));
        }

        /// <summary>
        /// No Error logged by either host, no worker taken out of rotation (the gateway's warning), and a stream and a
        /// unary call through the gateway served.
        /// </summary>
        public async Task AssertLeftCleanAsync()
        {
            Assert.DoesNotContain(Logs.Entries, e => e.Level >= LogLevel.Error);
            Assert.DoesNotContain(Logs.Entries, e => e.Message.Contains("leaving it out for a while", StringComparison.Ordinal));
            var (answers, status) = await StreamMutations.SendAsync(Gateway.Grpc, [StreamMutations.Good(new Random(0), "after", "tabular", "2")], Bound);
            Assert.Equal((StatusCode.OK, "", "after"), (status.StatusCode, Assert.Single(answers).ErrorMessage, answers[0].InferResponse.Id));
            Assert.Equal("2", (await AloneAsync(StreamMutations.Good(new Random(1), "after-unary", "tabular", "2"), "2")).ModelVersion);
        }

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Worker.DisposeAsync();
            _repository.Dispose();
            Logs.Dispose();
        }
    }
}
