using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;

namespace Serving.Testing;

/// <summary>
/// Seeded ModelStreamInfer sweeps, for the worker's and the gateway's tests: streams of good requests to one model (tabular,
/// typed and raw contents, with Triton's parameters) mixed with requests each wrong in one way, and the oracle for their
/// answers. A good request's answer must equal the same request sent as a unary ModelInfer; a bad one's must be an
/// <c>error_message</c> holding its reason, with its id, and the stream goes on.
/// </summary>
public static class StreamMutations
{
    /// <summary>Where the stream goes: to a worker, or through a gateway that routed it by its first message.</summary>
    public enum Target
    {
        Worker,
        Gateway,
    }

    /// <summary>One message of a stream: the request, and the reason its answer must hold (null: a good request).</summary>
    public sealed record Case(string Kind, ModelInferRequest Request, string? Reason)
    {
        public override string ToString() => $"{Kind} '{Request.Id}'";
    }

    private static readonly GoldenFile Golden = GoldenFile.Load("tabular", "2");

    /// <summary>The kinds of wrong message, each with the reason its answer holds at a worker and through a gateway.</summary>
    private static readonly (string Kind, Action<ModelInferRequest, Random> Spoil, string WorkerReason, string? GatewayReason)[] Bad =
    [
        ("wrong-shape", (r, _) => r.Inputs[0].Shape[1] = 31, "shape", null),
        ("wrong-rank", (r, _) => { var n = r.Inputs[0].Shape[0] * 30; r.Inputs[0].Shape.Clear(); r.Inputs[0].Shape.Add(n); }, "rank", null),
        ("zero-dimension", (r, _) => { r.Inputs[0].Shape[0] = 0; r.RawInputContents.Clear(); r.Inputs[0].Contents = null; }, "zero-sized dimension", null),
        ("negative-dimension", (r, _) => r.Inputs[0].Shape[0] = -1, "negative dimension", null),
        ("wrong-datatype", (r, _) => ToInt32(r), "but the request sent INT32", null),
        ("unknown-datatype", (r, _) => r.Inputs[0].Datatype = "FLOAT32", "unknown datatype 'FLOAT32'", null),
        ("unknown-input", (r, _) => r.Inputs[0].Name = "nope", "has no input 'nope'", null),
        ("unknown-output", (r, _) => r.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "nope" }), "has no output 'nope'", null),
        ("over-max-batch", (r, random) => SetRows(r, random, 65), "max_batch_size", null),
        ("raw-count", (r, _) => r.RawInputContents.AddRange(Enumerable.Repeat(ByteString.CopyFrom(new byte[8]), r.RawInputContents.Count == 0 ? 2 : 1)), "raw_input_contents has", null),
        ("raw-and-typed", (r, _) => AlsoTyped(r), "contents must be empty when raw_input_contents is used", null),
        ("timeout-not-a-number", (r, _) => r.Parameters["timeout"] = new InferParameter { StringParam = "5s" }, "parameter 'timeout' must be a number", null),
        ("timeout-negative", (r, _) => r.Parameters["timeout"] = new InferParameter { Int64Param = -5 }, "parameter 'timeout' must be a positive number", null),
        ("final-flag-not-bool", (r, _) => r.Parameters["triton_enable_empty_final_response"] = new InferParameter { Int64Param = 1 }, "expected bool_param", null),
        ("unknown-model", (r, _) => r.ModelName = "no_such_model", "unknown model 'no_such_model'", "routed by its first message to model '"),
        ("unknown-version", (r, _) => r.ModelVersion = "9", "has no version '9'", "routed by its first message to version"),
        ("version-not-a-number", (r, _) => r.ModelVersion = "v2", "has no version 'v2'", "routed by its first message to version"),
        ("path-like-name", (r, _) => r.ModelName = "../models/tabular", "model name is not valid", "routed by its first message to model '"),
        ("empty-name", (r, _) => r.ModelName = "", "model name is not valid", "routed by its first message to model '"),
    ];

    /// <summary>
    /// <paramref name="count"/> messages for <paramref name="model"/> (a copy of tabular) <paramref name="version"/> (empty:
    /// the version is left to the server), the first always good (a gateway routes by it), about a third of the rest wrong
    /// in one way each.
    /// </summary>
    public static List<Case> Mixed(Random random, int count, string model, string version, Target target, string idPrefix)
    {
        var cases = new List<Case>(count);
        for (var i = 0; i < count; i++)
        {
            var id = $"{idPrefix}-{i}";
            var request = Good(random, id, model, version);
            if (i == 0 || random.Next(3) != 0)
            {
                cases.Add(new Case("good", request, null));
                continue;
            }

            var (kind, spoil, workerReason, gatewayReason) = Bad[random.Next(Bad.Length)];
            spoil(request, random);
            cases.Add(new Case(kind, request, target == Target.Gateway ? gatewayReason ?? workerReason : workerReason));
        }

        return cases;
    }

    /// <summary>A good request to <paramref name="model"/> (tabular or a copy): 1-8 rows of the golden input, typed or raw, sometimes with parameters the worker takes.</summary>
    public static ModelInferRequest Good(Random random, string id, string model, string version)
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version, Id = id };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = Golden.InputName, Datatype = "FP32" });
        SetRows(request, random, random.Next(1, 9), raw: random.Next(2) == 0);
        switch (random.Next(6))
        {
            case 0:
                request.Parameters["timeout"] = new InferParameter { Int64Param = 60_000_000 }; // Triton's, in µs
                break;
            case 1:
                request.Parameters["triton_enable_empty_final_response"] = new InferParameter { BoolParam = random.Next(2) == 0 };
                break;
            case 2:
                // Triton's sequence and priority parameters: the worker has no sequence batcher or priority levels.
                request.Parameters["sequence_id"] = new InferParameter { Int64Param = random.Next(1, 1000) };
                request.Parameters["priority"] = new InferParameter { Uint64Param = (ulong)random.Next(0, 3) };
                break;
            case 3:
                var output = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probabilities" };
                output.Parameters["classification"] = new InferParameter { Int64Param = random.Next(1, 3) };
                request.Outputs.Add(output);
                break;
        }

        return request;
    }

    /// <summary>
    /// Checks a stream's answers against its cases: one answer per request, matched by id; a good one equal to
    /// <paramref name="alone"/>'s answer (the request sent as a unary ModelInfer), a bad one its reason with the request's
    /// model and id and no outputs. Returns what is wrong (empty: nothing).
    /// </summary>
    public static async Task<List<string>> CheckAsync(
        IReadOnlyList<Case> cases, IReadOnlyList<ModelStreamInferResponse> answers, Func<ModelInferRequest, Task<ModelInferResponse>> alone)
    {
        var problems = new List<string>();
        var byId = answers.GroupBy(a => a.InferResponse?.Id ?? "").ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (id, group) in byId.Where(g => g.Value.Count > 1 || cases.All(c => c.Request.Id != g.Key)))
        {
            problems.Add($"{group.Count} answer(s) with id '{id}', which {(cases.Any(c => c.Request.Id == id) ? "was sent once" : "was never sent")}: {group[0]}");
        }

        foreach (var c in cases)
        {
            if (!byId.TryGetValue(c.Request.Id, out var found))
            {
                problems.Add($"{c}: no answer");
                continue;
            }

            var answer = found[0];
            if (c.Reason is { } reason)
            {
                if (!answer.ErrorMessage.Contains(reason, StringComparison.Ordinal) || answer.InferResponse.Outputs.Count > 0
                    || answer.InferResponse.ModelName != c.Request.ModelName)
                {
                    problems.Add($"{c}: expected an error holding \"{reason}\", got {answer}");
                }

                continue;
            }

            if (answer.ErrorMessage.Length > 0)
            {
                problems.Add($"{c}: a good request failed: {answer.ErrorMessage}");
                continue;
            }

            var expected = await alone(c.Request).ConfigureAwait(false);
            var got = answer.InferResponse.Clone();
            got.Parameters.Remove("triton_final_response");
            if (!got.Equals(expected))
            {
                problems.Add($"{c}: streamed {got} but ModelInfer answered {expected}");
            }
        }

        return problems;
    }

    /// <summary>
    /// Sends <paramref name="requests"/> on a new ModelStreamInfer stream of <paramref name="client"/> (deadline
    /// <paramref name="bound"/>), half-closes it, and returns every answer and the stream's status (<see cref="DrainAsync"/>).
    /// </summary>
    public static async Task<(List<ModelStreamInferResponse> Answers, Status Status)> SendAsync(
        GRPCInferenceService.GRPCInferenceServiceClient client, IEnumerable<ModelInferRequest> requests, TimeSpan bound)
    {
        using var call = client.ModelStreamInfer(deadline: DateTime.UtcNow.Add(bound));
        var reading = DrainAsync(call.ResponseStream, bound);
        foreach (var request in requests)
        {
            await call.RequestStream.WriteAsync(request).ConfigureAwait(false);
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        return await reading.ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="CheckAsync"/> for streams of good requests sent faster than a small queue takes them: an answer refused
    /// with "the queue is full" stands for its request, every other must be served right. Returns how many were refused
    /// and what is wrong, including a refusal for another reason and a stream that refused all or none (the sweep needs both).
    /// </summary>
    public static async Task<(int Refused, List<string> Problems)> CheckServedOrQueueFullAsync(
        IReadOnlyList<Case> cases, IReadOnlyList<ModelStreamInferResponse> answers, Func<ModelInferRequest, Task<ModelInferResponse>> alone)
    {
        var refused = answers.Where(a => a.ErrorMessage.Length > 0).ToList();
        var problems = refused.Where(a => !a.ErrorMessage.Contains("the queue is full", StringComparison.Ordinal)).Select(a => $"refused for another reason: {a}").ToList();
        if (refused.Count == 0 || refused.Count >= cases.Count)
        {
            problems.Add($"{refused.Count} of {cases.Count} refused: the sweep needs both kinds");
        }

        var refusedIds = refused.Select(a => a.InferResponse.Id).ToHashSet();
        problems.AddRange(await CheckAsync(
            [.. cases.Where(c => !refusedIds.Contains(c.Request.Id))], [.. answers.Where(a => a.ErrorMessage.Length == 0)], alone).ConfigureAwait(false));
        if (answers.Count != cases.Count)
        {
            problems.Add($"{answers.Count} answers to {cases.Count} requests");
        }

        return (refused.Count, problems);
    }

    /// <summary>Every answer until the stream ends, and its status (OK, or the error it ended with); bounded by <paramref name="bound"/>.</summary>
    public static async Task<(List<T> Answers, Status Status)> DrainAsync<T>(IAsyncStreamReader<T> reader, TimeSpan bound)
    {
        var answers = new List<T>();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            while (await reader.MoveNext(timeout.Token).ConfigureAwait(false))
            {
                answers.Add(reader.Current);
            }

            return (answers, Status.DefaultSuccess);
        }
        catch (RpcException e)
        {
            return timeout.IsCancellationRequested
                ? throw new TimeoutException($"the stream did not end within {bound} ({answers.Count} answers read)")
                : (answers, e.Status);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"the stream did not end within {bound} ({answers.Count} answers read)");
        }
    }

    /// <summary>Sets the request's rows: the first <paramref name="rows"/> of the golden input (repeated as needed), typed or raw as it was.</summary>
    private static void SetRows(ModelInferRequest request, Random random, int rows, bool? raw = null)
    {
        raw ??= request.RawInputContents.Count > 0;
        var start = random.Next(Golden.Input.Length / 30);
        var values = Enumerable.Range(0, rows * 30).Select(i => Golden.Input[((start * 30) + i) % Golden.Input.Length]).ToArray();
        var input = request.Inputs[0];
        input.Shape.Clear();
        input.Shape.AddRange([rows, 30]);
        request.RawInputContents.Clear();
        input.Contents = null;
        if (raw.Value)
        {
            request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())));
        }
        else
        {
            input.Contents = new InferTensorContents();
            input.Contents.Fp32Contents.AddRange(values);
        }
    }

    private static void ToInt32(ModelInferRequest request)
    {
        var input = request.Inputs[0];
        var count = (int)(input.Shape[0] * input.Shape[1]);
        input.Datatype = "INT32";
        request.RawInputContents.Clear();
        input.Contents = new InferTensorContents();
        input.Contents.IntContents.AddRange(Enumerable.Repeat(1, count));
    }

    private static void AlsoTyped(ModelInferRequest request)
    {
        if (request.RawInputContents.Count == 0)
        {
            request.RawInputContents.Add(ByteString.CopyFrom(new byte[request.Inputs[0].Contents.Fp32Contents.Count * 4]));
            return;
        }

        request.Inputs[0].Contents = new InferTensorContents { Fp32Contents = { 1f } };
    }

    /// <summary>What a ModelStreamInfer call of hand-made bytes got back: its answers, and the status it ended with (or <see cref="Reset"/>).</summary>
    public sealed record RawAnswer(List<ModelStreamInferResponse> Answers, int GrpcStatus, string Message)
    {
        public override string ToString() => $"grpc-status {GrpcStatus} '{Message}' after {Answers.Count} answer(s)";
    }

    /// <summary>The requests as gRPC frames, followed by <paramref name="tail"/> (hand-made bytes: a broken frame, or none).</summary>
    public static byte[] Frames(IEnumerable<ModelInferRequest> requests, params byte[] tail)
    {
        var body = new MemoryStream();
        foreach (var request in requests)
        {
            body.Write(RawGrpc.Frame(request.ToByteArray()));
        }

        body.Write(tail);
        return body.ToArray();
    }

    /// <summary>
    /// Sends <paramref name="body"/> as a ModelStreamInfer call to 127.0.0.1:<paramref name="port"/> over HTTP/2, keeping
    /// the request side open until <paramref name="holdOpen"/> completes (then half-closing it), with a
    /// <c>grpc-timeout</c> when given (this client does not keep it: the server must); returns the answers and the status,
    /// or throws <see cref="TimeoutException"/> when the call has not ended within <paramref name="bound"/>.
    /// </summary>
    public static async Task<RawAnswer> SendRawAsync(int port, byte[] body, TimeSpan bound, Task? holdOpen = null, string? grpcTimeout = null)
    {
        using var timeout = new CancellationTokenSource(bound);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/inference.GRPCInferenceService/ModelStreamInfer")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new HeldOpenContent(body, holdOpen ?? Task.CompletedTask),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        if (grpcTimeout is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-timeout", grpcTimeout);
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var received = new MemoryStream();
            try
            {
                await (await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false)).CopyToAsync(received, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when ((e as HttpProtocolException ?? e.InnerException as HttpProtocolException) is { } reset)
            {
                return new RawAnswer(Answers(received), Reset, $"the server reset the stream (HTTP/2 error {reset.ErrorCode})");
            }

            var status = RawGrpc.Header(response, "grpc-status") ?? throw new InvalidOperationException($"no grpc-status: {response}");
            return new RawAnswer(Answers(received), int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), Uri.UnescapeDataString(RawGrpc.Header(response, "grpc-message") ?? ""));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"the stream did not end within {bound}");
        }
    }

    /// <summary>The <see cref="RawAnswer.GrpcStatus"/> of a stream the server reset (no status came).</summary>
    public const int Reset = -1;

    // The whole answers in a response body of gRPC frames.
    private static List<ModelStreamInferResponse> Answers(MemoryStream body)
    {
        var answers = new List<ModelStreamInferResponse>();
        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        for (var at = 0; at + 5 <= bytes.Length;)
        {
            var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes[(at + 1)..]);
            if (at + 5 + length > bytes.Length)
            {
                break;
            }

            answers.Add(ModelStreamInferResponse.Parser.ParseFrom(bytes.Slice(at + 5, length)));
            at += 5 + length;
        }

        return answers;
    }

    /// <summary>A request body sent at once and then held open (no END_STREAM) until a task completes or the call ends.</summary>
    private sealed class HeldOpenContent(byte[] body, Task holdOpen) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await holdOpen.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The server ended the call first: nothing more to send.
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
