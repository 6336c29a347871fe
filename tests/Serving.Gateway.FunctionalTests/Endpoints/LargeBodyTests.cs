using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Endpoints;

/// <summary>
/// Bodies of megabytes go through the gateway untouched, over gRPC and REST; a body over the gateway's
/// <c>MaxRequestBytes</c> gets RESOURCE_EXHAUSTED / 413 from the gateway, and one over the worker's limit gets the
/// worker's answer through the gateway, without a retry or a crash. REST bodies go through every hop to the worker
/// (<c>RestToWorkers</c>: Auto, the default, HTTP/2 and HTTP/1.1).
/// </summary>
public sealed class LargeBodyTests : IAsyncLifetime
{
    private const int GatewayLimit = 6 * 1024 * 1024;
    private const int WorkerLimit = 3 * 1024 * 1024;

    private TempDirectory _repository = null!;
    private WorkerServer _worker = null!;
    private GatewayServer _gateway = null!;
    private GatewayServer _http2Gateway = null!;
    private GatewayServer _http11Gateway = null!;

    /// <summary>The <c>RestToWorkers</c> settings every REST case runs under.</summary>
    public static TheoryData<string> RestHops => ["Auto", "Http2", "Http11"];

    public async Task InitializeAsync()
    {
        _repository = RepoPaths.CopyModels(RepoPaths.TestModels, "identity_fp32");
        _worker = await WorkerServer.StartAsync(_repository.Path, new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = WorkerLimit.ToString() });
        _gateway = await GatewayServer.StartAsync([_worker], new Dictionary<string, string?> { ["Serving:Gateway:MaxRequestBytes"] = GatewayLimit.ToString() });
        _http2Gateway = await GatewayServer.StartAsync([_worker], new Dictionary<string, string?>
        {
            ["Serving:Gateway:MaxRequestBytes"] = GatewayLimit.ToString(),
            ["Serving:Gateway:RestToWorkers"] = "Http2",
        });
        _http11Gateway = await GatewayServer.StartAsync([_worker], new Dictionary<string, string?>
        {
            ["Serving:Gateway:MaxRequestBytes"] = GatewayLimit.ToString(),
            ["Serving:Gateway:RestToWorkers"] = "Http11",
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _http2Gateway.DisposeAsync();
        await _http11Gateway.DisposeAsync();
        await _worker.DisposeAsync();
        _repository.Dispose();
    }

    [Fact]
    public async Task Grpc_TwoMegabyteTensor_ThroughTheGatewayUnchanged()
    {
        var values = Values(500_000, seed: 1);

        var response = await _gateway.Grpc.ModelInferAsync(GrpcRequest(values), deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.Equal(Bytes(values), response.RawOutputContents[0].ToByteArray());
        Assert.Equal([1L, values.Length], response.Outputs[0].Shape);
    }

    [Theory]
    [MemberData(nameof(RestHops))]
    public async Task Rest_TwoMegabyteJsonBody_ThroughTheGatewayUnchanged(string restToWorkers)
    {
        var gateway = Gateway(restToWorkers);
        var values = Values(200_000, seed: 2);
        var body = RestBody(values);
        Assert.True(body.Length > 2_000_000, $"{body.Length} bytes");

        using var response = await gateway.Http.PostAsync("/v2/models/identity_fp32/infer", new StringContent(body, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text[..Math.Min(300, text.Length)]);
        var data = JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(values, data);
    }

    [Fact]
    public async Task Grpc_OverTheGatewayLimit_ResourceExhaustedFromTheGateway()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _gateway.Grpc.ModelInferAsync(GrpcRequest(Values(2_000_000, seed: 3)), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("Serving:Gateway:MaxRequestBytes", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_MessageOfExactlyTheGatewayLimit_PassesTheGateway_TheWorkersLimitAnswers()
    {
        // The gateway's limit is on the message; its 5-byte frame header comes on top.
        var request = GrpcRequest(Values(1000, seed: 9));
        request.Id = new string('p', GatewayLimit - request.CalculateSize() - 5);
        Assert.Equal(GatewayLimit, request.CalculateSize());

        var e = await Assert.ThrowsAsync<RpcException>(() => _gateway.Grpc.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.DoesNotContain("Serving:Gateway:MaxRequestBytes", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_SmallMessageThenBytesPastTheGatewayLimit_ResourceExhaustedFromTheGateway_GatewayStaysUp()
    {
        var message = GrpcRequest(Values(10, seed: 10)).ToByteArray();
        var body = new byte[GatewayLimit + 1024];
        body[0] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)message.Length);
        message.CopyTo(body, 5);

        var (status, detail) = await RawGrpc.SendAsync(_gateway, body);

        Assert.Equal((int)StatusCode.ResourceExhausted, status);
        Assert.Contains("Serving:Gateway:MaxRequestBytes", detail, StringComparison.Ordinal);
        var values = Values(100, seed: 11);
        var response = await _gateway.Grpc.ModelInferAsync(GrpcRequest(values), deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(Bytes(values), response.RawOutputContents[0].ToByteArray());
    }

    [Theory]
    [MemberData(nameof(RestHops))]
    public async Task Rest_OverTheGatewayLimit_413FromTheGateway(string restToWorkers)
    {
        var gateway = Gateway(restToWorkers);
        var body = RestBody(Values(700_000, seed: 4));
        Assert.True(body.Length > GatewayLimit, $"{body.Length} bytes");

        // As curl does for large bodies: without the expectation an HTTP/1.1 client may see the connection close
        // while it still sends, instead of the 413.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/identity_fp32/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        using var response = await gateway.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Serving:Gateway:MaxRequestBytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_OverTheWorkerLimitOnly_TheWorkersResourceExhaustedThroughTheGateway()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => _gateway.Grpc.ModelInferAsync(GrpcRequest(Values(1_000_000, seed: 5)), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.DoesNotContain("Serving:Gateway:MaxRequestBytes", e.Status.Detail, StringComparison.Ordinal);

        // The gateway and the worker are still fine.
        var values = Values(1000, seed: 6);
        var response = await _gateway.Grpc.ModelInferAsync(GrpcRequest(values), deadline: DateTime.UtcNow.AddSeconds(30));
        Assert.Equal(Bytes(values), response.RawOutputContents[0].ToByteArray());
    }

    [Theory]
    [MemberData(nameof(RestHops))]
    public async Task Rest_OverTheWorkerLimitOnly_413ThroughTheGateway(string restToWorkers)
    {
        var gateway = Gateway(restToWorkers);
        var body = RestBody(Values(300_000, seed: 7));
        Assert.InRange(body.Length, WorkerLimit + 1, GatewayLimit - 1);

        using var response = await gateway.Http.PostAsync("/v2/models/identity_fp32/infer", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        // The worker's refusal did not take it out of rotation.
        var values = Values(1000, seed: 8);
        using var next = await gateway.Http.PostAsync("/v2/models/identity_fp32/infer", new StringContent(RestBody(values), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    private GatewayServer Gateway(string restToWorkers) => restToWorkers switch
    {
        "Http2" => _http2Gateway,
        "Http11" => _http11Gateway,
        _ => _gateway,
    };

    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)random.NextDouble())];
    }

    private static byte[] Bytes(float[] values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    private static ModelInferRequest GrpcRequest(float[] values)
    {
        var request = new ModelInferRequest { ModelName = "identity_fp32" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = "FP32", Shape = { 1, values.Length } });
        request.RawInputContents.Add(ByteString.CopyFrom(Bytes(values)));
        return request;
    }

    private static string RestBody(float[] values) =>
        JsonSerializer.Serialize(new { inputs = new[] { new { name = "INPUT0", datatype = "FP32", shape = new[] { 1, values.Length }, data = values } } });
}
