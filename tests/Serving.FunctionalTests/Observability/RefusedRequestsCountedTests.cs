using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Observability;

/// <summary>
/// Every infer request that reaches the worker is counted in serving_inference_requests_total once, with its outcome,
/// also when it ends before inference: REST requests refused by their path, headers or body, and gRPC requests that
/// don't decode, were counted nowhere (gRPC's unknown models were). Such a request has no version; its model is the
/// name of a model the worker has, else <c>_unknown</c> or <c>_invalid</c>: a caller's names never become series.
/// The model here, a copy of <c>fixed</c>, has a name no other test uses, so its series are this test's alone.
/// </summary>
public sealed class RefusedRequestsCountedTests
{
    private const string Model = "refusal_counted";
    private const string Unknown = "no_such_model_refusal_counted";
    private const string GoneModel = "caller_gone_counted";

    [Fact]
    public async Task RequestsEndingBeforeInference_CountedOnceWithTheirCode()
    {
        using var repo = new TempDirectory();
        await OwnSeries.CopyFixedAsAsync(repo.Path, Model);
        await using var server = await WorkerServer.StartAsync(repo.Path, new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = "4096" });
        await WaitReadyAsync(server, Model); // until the model is loaded, it is a name the worker doesn't have (_unknown)
        var before = await OwnSeries.ScrapeAsync(server);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PostAsync(server, $"/v2/models/{Model}/infer", "{}", ("Content-Encoding", "zstd")));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(server, $"/v2/models/{Model}/infer", "{\"inputs\": ["));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(server, $"/v2/models/{Model}/infer", "{}", ("Inference-Header-Content-Length", "many")));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(server, $"/v2/models/{Model}/infer", "{}", ("X-Serving-Timeout-Ms", "-1")));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PostAsync(server, $"/v2/models/{Model}/infer", new string(' ', 8192)));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(server, $"/v2/models/{Model}/versions/99/infer", "{}"));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(server, $"/v2/models/{Unknown}/infer", "{}"));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(server, "/v2/models/not%20a%20name!/infer", "{}"));

        var undecodable = new ModelInferRequest { ModelName = Model };
        undecodable.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 4 } });
        undecodable.RawInputContents.Add(ByteString.CopyFrom(new byte[16]));
        undecodable.RawInputContents.Add(ByteString.CopyFrom(new byte[16])); // one more than the inputs
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(undecodable).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var (status, _) = await RawGrpc.SendAsync(server.Listeners.GrpcPort, RawGrpc.Frame([0xFF, 0xFF, 0xFF]));
        Assert.Equal((int)StatusCode.InvalidArgument, status);

        var after = await OwnSeries.ScrapeAsync(server);
        Assert.Equal(1, Delta("rest", "Unimplemented"));
        Assert.Equal(3, Delta("rest", "InvalidArgument"));
        Assert.Equal(1, Delta("rest", "ResourceExhausted"));
        Assert.Equal(1, Delta("rest", "NotFound"));
        Assert.Equal(1, Delta("grpc", "InvalidArgument"));
        Assert.True(Delta("rest", "NotFound", "_unknown") >= 1, "the unknown model was not counted as _unknown");
        Assert.True(Delta("rest", "InvalidArgument", "_invalid") >= 1, "the invalid model name was not counted as _invalid");
        Assert.True(Delta("grpc", "InvalidArgument", "_unknown") >= 1, "the malformed protobuf was not counted as _unknown");
        Assert.DoesNotContain(Unknown, after, StringComparison.Ordinal);
        Assert.DoesNotContain("not a name", after, StringComparison.Ordinal);

        double Delta(string protocol, string code, string model = Model)
        {
            var series = $"serving_inference_requests_total{{model=\"{model}\",version=\"\",protocol=\"{protocol}\",code=\"{code}\"}}";
            return MetricsExposition.Value(after, series) - MetricsExposition.Value(before, series);
        }
    }

    /// <summary>
    /// A caller that goes away while its body comes in is counted Cancelled, also on a connection that served a call
    /// before (a client's or a gateway's pooled one). There Kestrel tells the body read before it signals RequestAborted,
    /// and such callers were counted InvalidArgument over HTTP/1.1 (the body ended early: 10 of 10 in the metrics sweep)
    /// and Internal over HTTP/2 (the stream was reset: 19 of 20), without a log line: worker errors, to a dashboard.
    /// </summary>
    [Fact]
    public async Task CallerGoneMidBody_OnAConnectionThatServedACall_CountedCancelled()
    {
        const int Callers = 5;
        using var repo = new TempDirectory();
        await OwnSeries.CopyFixedAsAsync(repo.Path, GoneModel);
        await using var server = await WorkerServer.StartAsync(repo.Path);
        await WaitReadyAsync(server, GoneModel);
        var path = $"/v2/models/{GoneModel}/infer";
        var body = Encoding.UTF8.GetBytes("""{"inputs": [{"name": "x", "datatype": "FP32", "shape": [4], "data": [1, 2, 3, 4]}]}""");

        for (var i = 0; i < Callers; i++)
        {
            using var client = await RawHttp1.ConnectAsync(server.Listeners.RestPort);
            Assert.StartsWith("HTTP/1.1 200", await RawHttp1.PostAsync(client, path, body), StringComparison.Ordinal);
            await RawHttp1.HangUpMidBodyAsync(client, path, body.Length);
        }

        await WaitCountedAsync(server, Callers);
        for (var i = 0; i < Callers; i++)
        {
            // The REST routes over h2c, on the gRPC port (the gateway's hop when calls overlap).
            var answer = await Http2Frames.CallThenResetMidBodyAsync(server.Listeners.GrpcPort, path, body, () => WaitCountedAsync(server, Callers + i + 1));
            Assert.Equal(Http2Frames.Headers, answer[0].Type);
        }

        var after = await OwnSeries.ScrapeAsync(server);
        Assert.Equal(2 * Callers, MetricsExposition.Value(after, Series(GoneModel, "Cancelled")));
        Assert.Equal(0, MetricsExposition.Value(after, Series(GoneModel, "InvalidArgument")));
        Assert.Equal(0, MetricsExposition.Value(after, Series(GoneModel, "Internal")));
    }

    private static string Series(string model, string code) =>
        $"serving_inference_requests_total{{model=\"{model}\",version=\"\",protocol=\"rest\",code=\"{code}\"}}";

    // Until the worker has counted this many of GoneModel's requests that ended before inference, whatever their code.
    private static async Task WaitCountedAsync(WorkerServer server, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var text = await OwnSeries.ScrapeAsync(server);
            var counted = new[] { "Cancelled", "InvalidArgument", "Internal" }.Sum(code => MetricsExposition.Value(text, Series(GoneModel, code)));
            if (counted >= count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{counted} of {count} requests counted");
            await Task.Delay(10);
        }
    }

    private static async Task WaitReadyAsync(WorkerServer server, string model)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var ready = await server.Http.GetAsync($"/v2/models/{model}/ready");
            if (ready.IsSuccessStatusCode)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{model} never became ready ({(int)ready.StatusCode})");
            await Task.Delay(10);
        }
    }

    private static async Task<HttpStatusCode> PostAsync(WorkerServer server, string path, string body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true; // a refused body is never sent: the answer comes before the connection closes
        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await server.Http.SendAsync(request);
        return response.StatusCode;
    }
}
