using System.Globalization;
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

    // Batching metrics are process-wide series by model and version: each test that reads them serves tabular's
    // version 1 under a version number of its own, so no other test moves its counters.
    private const long QueueFullVersion = 101;
    private const long DeadlineVersion = 102;
    private const long CancelVersion = 103;
    private const long FullBatchVersion = 104;

    private const string Rejected = "serving_batch_rejected_total";
    private const string Expired = "serving_batch_expired_total";
    private const string Cancelled = "serving_batch_cancelled_total";

    private static ModelInferRequest Row(string? id = null, long version = 1)
    {
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = version.ToString(CultureInfo.InvariantCulture), Id = id ?? "" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([1, 30]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(GoldenFile.Load("tabular", "1").Input.AsSpan(0, 30))));
        return request;
    }

    [Fact]
    public async Task QueueFull_RestAnswers429WithRetryAfterAtOnce_GrpcResourceExhausted_QueuedRequestStillAnswers()
    {
        const long v = QueueFullVersion;
        var (server, repo) = await BatchingServer.StartAsVersionAsync(Slow, "tabular", v);
        using var _ = repo;
        await using var __ = server;
        var batcher = BatchingServer.Batcher(server, "tabular", v);
        var rejected = await BatchingServer.MetricAsync(server, Rejected, "tabular", v);

        var queued = server.Grpc.ModelInferAsync(Row("first", v)).ResponseAsync;
        await BatchingServer.WaitForQueueAsync(batcher, 1);

        var body = $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[{{string.Join(",", Enumerable.Repeat("1", 30))}}]}]}""";
        using (var rest = await server.Http.PostAsync($"/v2/models/tabular/versions/{v}/infer", new StringContent(body)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, rest.StatusCode);
            Assert.True(rest.Headers.RetryAfter is not null, "429 without Retry-After");
            Assert.Contains("queue is full", await rest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await BatchingServer.AssertMetricAsync(server, Rejected, "tabular", v, rejected + 1);

        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(Row(version: v)).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        await BatchingServer.AssertMetricAsync(server, Rejected, "tabular", v, rejected + 2);

        // The refused calls did not disturb the queued one, and a request that runs is not counted.
        Assert.Equal("first", (await queued).Id);
        await BatchingServer.AssertMetricAsync(server, Rejected, "tabular", v, rejected + 2);
    }

    [Fact]
    public async Task DeadlinePassesWhileQueued_Rest504_GrpcDeadlineExceeded_RemovedFromQueue()
    {
        const long v = DeadlineVersion;
        var (server, repo) = await BatchingServer.StartAsVersionAsync("  max_queue_delay_us: 3000000\n  max_queue_size: 8\n", "tabular", v);
        using var _ = repo;
        await using var __ = server;
        var batcher = BatchingServer.Batcher(server, "tabular", v);
        var expired = await BatchingServer.MetricAsync(server, Expired, "tabular", v);
        var cancelled = await BatchingServer.MetricAsync(server, Cancelled, "tabular", v);
        var body = $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[{{string.Join(",", Enumerable.Repeat("1", 30))}}]}]}""";

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/tabular/versions/{v}/infer") { Content = new StringContent(body) };
        request.Headers.Add("X-Serving-Timeout-Ms", "100");
        using (var rest = await server.Http.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, rest.StatusCode);
            Assert.Contains("deadline passed while it waited in the queue", await rest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, batcher.QueueLength);
        await BatchingServer.AssertMetricAsync(server, Expired, "tabular", v, expired + 1);

        var withParameter = Row(version: v);
        withParameter.Parameters["timeout"] = new InferParameter { Int64Param = 100_000 }; // Triton's per-request timeout, µs
        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(withParameter).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, grpc.StatusCode);
        await BatchingServer.AssertMetricAsync(server, Expired, "tabular", v, expired + 2);
        Assert.Equal(cancelled, await BatchingServer.MetricAsync(server, Cancelled, "tabular", v));

        // A grpc-timeout from a caller that does not cancel at its own deadline (Grpc.Net.Client would, by a clock that
        // started first, which races the worker's): the worker's deadline passes, and grpc-dotnet cancels the call then.
        var (withDeadline, _) = await RawGrpc.SendWithHeaderAsync(server.Listeners.GrpcPort, RawGrpc.Frame(Row(version: v).ToByteArray()), "grpc-timeout", "150m");
        Assert.Equal((int)StatusCode.DeadlineExceeded, withDeadline);
        await BatchingServer.WaitForQueueAsync(batcher, 0);

        // A gRPC deadline ends the server's call as it expires the request: whichever the batcher saw first, it is an expiry.
        await AssertExpiredNotCancelledAsync(server, v, expired + 3, cancelled);
    }

    /// <summary>Waits (bounded) until expired and cancelled together reach their expected sum, then asserts each.</summary>
    private static async Task AssertExpiredNotCancelledAsync(WorkerServer server, long v, double expired, double cancelled)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        double e, c;
        while ((e = await BatchingServer.MetricAsync(server, Expired, "tabular", v)) + (c = await BatchingServer.MetricAsync(server, Cancelled, "tabular", v)) < expired + cancelled)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the deadlines were never counted (expired {e}, cancelled {c})");
            await Task.Delay(5);
        }

        Assert.Equal((expired, cancelled), (e, c));
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
        const long v = CancelVersion;
        var (server, repo) = await BatchingServer.StartAsVersionAsync(Slow, "tabular", v);
        using var _ = repo;
        await using var __ = server;
        var batcher = BatchingServer.Batcher(server, "tabular", v);
        var cancelled = await BatchingServer.MetricAsync(server, Cancelled, "tabular", v);
        using var cancel = new CancellationTokenSource();

        var call = server.Grpc.ModelInferAsync(Row(version: v), cancellationToken: cancel.Token).ResponseAsync;
        await BatchingServer.WaitForQueueAsync(batcher, 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAsync<RpcException>(() => call);

        // The server saw the cancellation and freed the only queue slot.
        await BatchingServer.WaitForQueueAsync(batcher, 0);
        await BatchingServer.AssertMetricAsync(server, Cancelled, "tabular", v, cancelled + 1);
        var next = server.Grpc.ModelInferAsync(Row("next", v)).ResponseAsync;
        await BatchingServer.WaitForQueueAsync(batcher, 1);
        Assert.Equal("next", (await next).Id);
        Assert.Equal(cancelled + 1, await BatchingServer.MetricAsync(server, Cancelled, "tabular", v));
        Assert.Equal(0, await BatchingServer.MetricAsync(server, Expired, "tabular", v));
    }

    [Fact]
    public async Task FullBatchArrives_GoesAtOnceWithoutWaitingForTheDelay()
    {
        // max_batch_size 64 and a 3 s delay: 64 rows in one request form a full batch and must not wait.
        const long v = FullBatchVersion;
        var (server, repo) = await BatchingServer.StartAsVersionAsync("  max_queue_delay_us: 3000000\n", "tabular", v);
        using var _ = repo;
        await using var __ = server;
        var count = await BatchingServer.MetricAsync(server, "serving_batch_size_count", "tabular", v);
        var sum = await BatchingServer.MetricAsync(server, "serving_batch_size_sum", "tabular", v);
        var request = new ModelInferRequest { ModelName = "tabular", ModelVersion = v.ToString(CultureInfo.InvariantCulture) };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([64, 30]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[64 * 30 * 4]));

        // The deadline is far below the delay: only an immediate send can meet it.
        var response = await server.Grpc.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(2));
        Assert.Equal([64L, 2L], response.Outputs[0].Shape);

        // One batch of 64 rows in the batch-size histogram.
        await BatchingServer.AssertMetricAsync(server, "serving_batch_size_count", "tabular", v, count + 1);
        Assert.Equal(sum + 64, await BatchingServer.MetricAsync(server, "serving_batch_size_sum", "tabular", v));
    }
}
