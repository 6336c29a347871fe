using System.Net;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Batching;

/// <summary>
/// The worker marks a 504 / DEADLINE_EXCEEDED that the caller's own deadline caused (x-serving-deadline: caller;
/// budget_us=N, a REST header or gRPC trailer) so a gateway can tell a caller's short deadline from a slow version; an
/// expiry of the model's default_timeout_ms carries no mark. A 3 s queue delay keeps every request waiting past its deadline.
/// </summary>
public sealed class CallerDeadlineMarkTests
{
    private const string SlowWithDefault = "  max_queue_delay_us: 3000000\n  max_queue_size: 8\n  default_timeout_ms: 100\n";

    private static readonly string Body = $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[{{string.Join(",", Enumerable.Repeat("1", 30))}}]}]}""";

    [Fact]
    public async Task CallersDeadline_Rest504AndGrpcDeadlineExceeded_CarryTheMarkWithTheBudget()
    {
        var (server, repo) = await BatchingServer.StartAsync(SlowWithDefault, "tabular");
        using var _ = repo;
        await using var __ = server;

        // X-Serving-Timeout-Ms.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/tabular/infer") { Content = new StringContent(Body) })
        {
            request.Headers.Add("X-Serving-Timeout-Ms", "200");
            using var rest = await server.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.GatewayTimeout, rest.StatusCode);
            AssertBudget(rest.Headers.TryGetValues(CallerDeadlineMark.Header, out var mark) ? mark.Single() : null, TimeSpan.FromMilliseconds(200));
        }

        // Triton's timeout parameter (µs), in the REST body.
        using (var rest = await server.Http.PostAsync("/v2/models/tabular/infer", new StringContent("""{"parameters":{"timeout":150000},""" + Body[1..])))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, rest.StatusCode);
            AssertBudget(rest.Headers.TryGetValues(CallerDeadlineMark.Header, out var mark) ? mark.Single() : null, TimeSpan.FromMilliseconds(150));
        }

        // Triton's timeout parameter over gRPC: the mark is trailing metadata.
        var withParameter = Row();
        withParameter.Parameters["timeout"] = new InferParameter { Int64Param = 120_000 };
        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(withParameter, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, grpc.StatusCode);
        AssertBudget(grpc.Trailers.GetValue(CallerDeadlineMark.Header), TimeSpan.FromMilliseconds(120));
    }

    [Fact]
    public async Task DefaultTimeoutExpiry_Rest504AndGrpcDeadlineExceeded_WithoutTheMark()
    {
        var (server, repo) = await BatchingServer.StartAsync(SlowWithDefault, "tabular");
        using var _ = repo;
        await using var __ = server;

        using (var rest = await server.Http.PostAsync("/v2/models/tabular/infer", new StringContent(Body)))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, rest.StatusCode);
            Assert.False(rest.Headers.Contains(CallerDeadlineMark.Header), string.Join(", ", rest.Headers.Select(h => h.Key)));
        }

        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(Row()).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, grpc.StatusCode);
        Assert.Null(grpc.Trailers.Get(CallerDeadlineMark.Header));
    }

    // The budget is what the deadline left when the worker began the request: at most what was given, and none past it.
    private static void AssertBudget(string? mark, TimeSpan given)
    {
        Assert.NotNull(mark);
        Assert.True(CallerDeadlineMark.TryParse(mark, out var budget), mark);
        Assert.InRange(budget, TimeSpan.Zero, given);
    }

    private static ModelInferRequest Row()
    {
        var request = new ModelInferRequest { ModelName = "tabular" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([1, 30]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(GoldenFile.Load("tabular", "1").Input.AsSpan(0, 30))));
        return request;
    }
}
