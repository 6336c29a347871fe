using System.Net;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Batching;

/// <summary>Overload, deadlines and cancellation: a full queue refuses at once, expired and cancelled requests leave the queue.</summary>
public sealed class QueuePolicyTests
{
    // A long delay keeps a lone request waiting in the queue, so the tests know exactly what is queued.
    private const string Slow = "  max_queue_delay_us: 3000000\n  max_queue_size: 1\n";

    private static ModelInferRequest Row(string? id = null)
    {
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1", Id = id ?? "" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([1, 30]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(GoldenFile.Load("tabular", "1").Input.AsSpan(0, 30))));
        return request;
    }

    [Fact]
    public async Task QueueFull_RestAnswers429WithRetryAfterAtOnce_GrpcResourceExhausted_QueuedRequestStillAnswers()
    {
        var (server, repo) = await BatchingServer.StartAsync(Slow, "tabular");
        using var _ = repo;
        await using var __ = server;
        var batcher = BatchingServer.Batcher(server, "tabular");

        var queued = server.Grpc.ModelInferAsync(Row("first")).ResponseAsync;
        await BatchingServer.WaitForQueueAsync(batcher, 1);

        var body = $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[{{string.Join(",", Enumerable.Repeat("1", 30))}}]}]}""";
        using (var rest = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
            Assert.True(rest.Headers.RetryAfter is not null, "429 without Retry-After");
            Assert.Contains("queue is full", await rest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(Row()).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);

        // The refused calls did not disturb the queued one.
        Assert.Equal("first", (await queued).Id);
    }

    [Fact]
    public async Task DeadlinePassesWhileQueued_Rest504_GrpcDeadlineExceeded_RemovedFromQueue()
    {
        var (server, repo) = await BatchingServer.StartAsync("  max_queue_delay_us: 3000000\n  max_queue_size: 8\n", "tabular");
        using var _ = repo;
        await using var __ = server;
        var batcher = BatchingServer.Batcher(server, "tabular");
        var body = $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[{{string.Join(",", Enumerable.Repeat("1", 30))}}]}]}""";

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/versions/1/infer") { Content = new StringContent(body) };
        request.Headers.Add("X-Serving-Timeout-Ms", "100");
        using (var rest = await server.Http.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, rest.StatusCode);
            Assert.Contains("deadline passed while it waited in the queue", await rest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, batcher.QueueLength);

        var withParameter = Row();
        withParameter.Parameters["timeout"] = new InferParameter { Int64Param = 100_000 }; // Triton's per-request timeout, µs
        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(withParameter).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, grpc.StatusCode);

        var withDeadline = await Assert.ThrowsAsync<RpcException>(() =>
            server.Grpc.ModelInferAsync(Row(), deadline: DateTime.UtcNow.AddMilliseconds(150)).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, withDeadline.StatusCode);
        await BatchingServer.WaitForQueueAsync(batcher, 0);
    }

    [Fact]
    public async Task DefaultTimeoutFromModelYaml_AppliesWhenCallerGivesNone()
    {
        var (server, repo) = await BatchingServer.StartAsync("  max_queue_delay_us: 3000000\n  default_timeout_ms: 100\n", "tabular");
        using var _ = repo;
        await using var __ = server;

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(Row()).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task CancelledCall_RemovedFromQueue_QueueAcceptsAgain()
    {
        var (server, repo) = await BatchingServer.StartAsync(Slow, "tabular");
        using var _ = repo;
        await using var __ = server;
        var batcher = BatchingServer.Batcher(server, "tabular");
        using var cancel = new CancellationTokenSource();

        var call = server.Grpc.ModelInferAsync(Row(), cancellationToken: cancel.Token).ResponseAsync;
        await BatchingServer.WaitForQueueAsync(batcher, 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAsync<RpcException>(() => call);

        // The server saw the cancellation and freed the only queue slot.
        await BatchingServer.WaitForQueueAsync(batcher, 0);
        var next = server.Grpc.ModelInferAsync(Row("next")).ResponseAsync;
        await BatchingServer.WaitForQueueAsync(batcher, 1);
        Assert.Equal("next", (await next).Id);
    }

    [Fact]
    public async Task FullBatchArrives_GoesAtOnceWithoutWaitingForTheDelay()
    {
        // max_batch_size 64 and a 3 s delay: 64 rows in one request form a full batch and must not wait.
        var (server, repo) = await BatchingServer.StartAsync("  max_queue_delay_us: 3000000\n", "tabular");
        using var _ = repo;
        await using var __ = server;
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = "1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([64, 30]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[64 * 30 * 4]));

        // The deadline is far below the delay: only an immediate send can meet it.
        var response = await server.Grpc.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(2));
        Assert.Equal([64L, 2L], response.Outputs[0].Shape);
    }
}
