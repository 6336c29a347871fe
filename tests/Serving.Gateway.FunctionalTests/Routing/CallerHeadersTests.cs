using System.Net;
using System.Text;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A caller's headers are the caller's: whatever the front door takes reaches a real worker over either hop, and what
/// it can't take is refused at the front door. None of it may count as the worker failing, which takes the worker out
/// of rotation (with one worker, the model is unavailable for everyone for a while).
/// </summary>
public sealed class CallerHeadersTests
{
    [Theory]
    [InlineData("Http2")]
    [InlineData("Http11")]
    public async Task NonAsciiHeaderValue_Forwarded_TheWorkerStaysIn(string hop)
    {
        await using var system = await System(hop);
        using var http = Utf8HeadersClient(system.Gateway);

        var (status, _, body) = await Infer.RestAsync(http, "/v2/models/tabular/infer", ("x-user-id", "zoë-Ünal-東京"));

        Assert.True(status == HttpStatusCode.OK, body);
        await AssertServedAsync(system.Gateway);
    }

    [Theory]
    [InlineData("Http2")]
    [InlineData("Http11")]
    public async Task HeadersUpToTheFrontDoorsLimit_Forwarded_TheWorkerStaysIn(string hop)
    {
        await using var system = await System(hop);

        // The largest header the front door takes beside the client's own few (Host, Content-Type, Content-Length, …).
        var (status, _, body) = await Infer.RestAsync(system.Gateway.Http, "/v2/models/tabular/infer", ("x-user-id", new string('a', GatewayHost.MaxCallerHeaderBytes - 300)));

        Assert.True(status == HttpStatusCode.OK, body);
        await AssertServedAsync(system.Gateway);
    }

    [Fact]
    public async Task HeadersOverTheFrontDoorsLimit_431_TheWorkerStaysIn()
    {
        await using var system = await System("Http2");

        var (status, _, _) = await Infer.RestAsync(system.Gateway.Http, "/v2/models/tabular/infer", ("x-user-id", new string('a', GatewayHost.MaxCallerHeaderBytes + 100)));

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, status);
        await AssertServedAsync(system.Gateway);
    }

    [Theory]
    [InlineData("Http2", false)]
    [InlineData("Http11", false)]
    [InlineData("Http2", true)]
    public async Task EveryHeaderCountTheFrontDoorTakes_ReachesTheWorker(string hop, bool grpc)
    {
        // The worker (Kestrel's default: 100 header fields) never refuses a call the front door took for the number of
        // its headers once the gateway has added its own: counts past the front door's limit are 431 here, from the
        // gateway, which names no version (a worker's answer carries x-serving-model-version).
        await using var system = await System(hop);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{(grpc ? system.Gateway.Listeners.GrpcPort : system.Gateway.Listeners.RestPort)}") };
        var (served, refused) = (0, 0);
        for (var count = 70; count <= 100; count++)
        {
            using var request = grpc ? GrpcCall() : RestCall();
            for (var i = 0; i < count; i++)
            {
                request.Headers.TryAddWithoutValidation($"x-h{i}", "v");
            }

            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var version = response.Headers.TryGetValues("x-serving-model-version", out var values) ? values.Single() : null;
            if (response.StatusCode == HttpStatusCode.RequestHeaderFieldsTooLarge)
            {
                Assert.True(version is null, $"{count} headers: the worker refused them (431, served by version {version}) after the front door took them");
                refused++;
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK && (!grpc || response.TrailingHeaders.GetValues("grpc-status").Single() == "0"), $"{count} headers: {(int)response.StatusCode} {body}");
                served++;
            }
        }

        Assert.True(served > 0 && refused > 0, $"{served} served and {refused} refused: the counts tried must span the front door's limit");
        await AssertServedAsync(system.Gateway);

        static HttpRequestMessage RestCall() => new(HttpMethod.Post, "/v2/models/tabular/infer") { Content = new StringContent(Infer.RestBody, Encoding.UTF8, "application/json") };

        static HttpRequestMessage GrpcCall()
        {
            var message = Google.Protobuf.MessageExtensions.ToByteArray(Infer.GrpcRequest());
            var framed = new byte[5 + message.Length];
            global::System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), message.Length);
            message.CopyTo(framed, 5);
            var request = new HttpRequestMessage(HttpMethod.Post, "/inference.GRPCInferenceService/ModelInfer")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(framed),
            };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
            request.Headers.TryAddWithoutValidation("TE", "trailers");
            return request;
        }
    }

    // The next calls are served: the worker was not left out (it would be, for PassiveReactivationPeriod, after a failure).
    private static async Task AssertServedAsync(GatewayServer gateway)
    {
        for (var i = 0; i < 3; i++)
        {
            var (status, _, body) = await Infer.RestAsync(gateway.Http);
            Assert.True(status == HttpStatusCode.OK, body);
        }
    }

    // HttpClient sends header values as ASCII unless told otherwise; Kestrel takes UTF-8.
    private static HttpClient Utf8HeadersClient(GatewayServer gateway) =>
        new(new SocketsHttpHandler { UseProxy = false, RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 }) { BaseAddress = gateway.Http.BaseAddress };

    private static async Task<OneWorkerSystem> System(string hop)
    {
        var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var worker = await WorkerServer.StartAsync(repository.Path);
        var gateway = await GatewayServer.StartAsync([worker], new Dictionary<string, string?> { ["Serving:Gateway:RestToWorkers"] = hop });
        return new OneWorkerSystem(repository, worker, gateway);
    }

    private sealed record OneWorkerSystem(TempDirectory Repository, WorkerServer Worker, GatewayServer Gateway) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Worker.DisposeAsync();
            Repository.Dispose();
        }
    }
}
