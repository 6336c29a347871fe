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

    [Fact]
    public async Task RequestsEndingBeforeInference_CountedOnceWithTheirCode()
    {
        using var repo = new TempDirectory();
        await OwnSeries.CopyFixedAsAsync(repo.Path, Model);
        await using var server = await WorkerServer.StartAsync(repo.Path, new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = "4096" });
        await WaitReadyAsync(server); // until the model is loaded, it is a name the worker doesn't have (_unknown)
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

    private static async Task WaitReadyAsync(WorkerServer server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var ready = await server.Http.GetAsync($"/v2/models/{Model}/ready");
            if (ready.IsSuccessStatusCode)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{Model} never became ready ({(int)ready.StatusCode})");
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
