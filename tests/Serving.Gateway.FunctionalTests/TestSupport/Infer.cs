using System.Net;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Infer calls with the tabular model's golden input, over REST and gRPC, returning what the tests look at.</summary>
internal static class Infer
{
    private static readonly GoldenFile Golden = GoldenFile.Load("tabular", "1");

    public static string RestBody => Golden.RequestBody();

    /// <summary>POSTs the golden request; returns the status and the version the response names.</summary>
    public static async Task<(HttpStatusCode Status, string? Version, string Body)> RestAsync(
        HttpClient http, string path = "/v2/models/tabular/infer", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(RestBody, System.Text.Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Headers.TryGetValues("x-serving-model-version", out var v) ? v.Single() : null, body);
    }

    public static ModelInferRequest GrpcRequest(string model = "tabular", string version = "")
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version, Id = "golden" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = Golden.InputName, Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange(Golden.InputShape);
        input.Contents.Fp32Contents.AddRange(Golden.Input);
        request.Inputs.Add(input);
        return request;
    }

    /// <summary>Posts the golden REST body gzip-compressed (Content-Encoding: gzip); returns what <see cref="RestAsync"/> returns.</summary>
    public static async Task<(HttpStatusCode Status, string? Version, string Body)> RestGzipAsync(HttpClient http, string path = "/v2/models/tabular/infer")
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(System.Text.Encoding.UTF8.GetBytes(RestBody));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(compressed.ToArray()) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Headers.TryGetValues("x-serving-model-version", out var v) ? v.Single() : null, body);
    }

    /// <summary>Call metadata that makes Grpc.Net.Client send the request message gzip-compressed (grpc-encoding: gzip).</summary>
    public static Metadata Gzip => new() { { "grpc-internal-encoding-request", "gzip" } };

    /// <summary>Calls ModelInfer; returns the response and the version named in the response headers.</summary>
    public static async Task<(ModelInferResponse Response, string? Version)> GrpcAsync(
        GRPCInferenceService.GRPCInferenceServiceClient client, ModelInferRequest? request = null, Metadata? headers = null)
    {
        using var call = client.ModelInferAsync(request ?? GrpcRequest(), headers, deadline: DateTime.UtcNow.AddSeconds(30));
        var responseHeaders = await call.ResponseHeadersAsync;
        var response = await call.ResponseAsync;
        return (response, responseHeaders.GetValue("x-serving-model-version"));
    }

    /// <summary>
    /// One infer call to <paramref name="model"/> (the golden input, whatever the model: for stand-in workers) over gRPC or REST;
    /// false when the caller gets an error of any kind, a broken-off answer included.
    /// </summary>
    public static async Task<bool> SucceedsAsync(GatewayServer gateway, string model, string version, bool grpc)
    {
        try
        {
            if (grpc)
            {
                await GrpcAsync(gateway.Grpc, GrpcRequest(model, version));
                return true;
            }

            return (await RestAsync(gateway.Http, $"/v2/models/{model}/versions/{version}/infer")).Status == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or IOException)
        {
            return false;
        }
    }
}
