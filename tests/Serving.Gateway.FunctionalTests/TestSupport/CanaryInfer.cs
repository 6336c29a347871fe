using System.Net;
using System.Text;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Unversioned infer calls to the <c>canary</c> model (x: FP32 [4]), valid or with the caller's mistake (shape [3]).</summary>
internal static class CanaryInfer
{
    /// <summary>The REST status and the version that answered (null when the gateway answered).</summary>
    public static async Task<(HttpStatusCode Status, string? Version)> RestAsync(GatewayServer gateway, bool valid = true)
    {
        var body = valid
            ? """{"inputs":[{"name":"x","datatype":"FP32","shape":[4],"data":[1,2,3,4]}]}"""
            : """{"inputs":[{"name":"x","datatype":"FP32","shape":[3],"data":[1,2,3]}]}""";
        using var response = await gateway.Http.PostAsync("/v2/models/canary/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Headers.TryGetValues("x-serving-model-version", out var v) ? v.Single() : null);
    }

    /// <summary>The gRPC status and the version named in the response headers.</summary>
    public static async Task<(StatusCode Status, string? Version)> GrpcAsync(GatewayServer gateway, bool valid = true)
    {
        var request = new ModelInferRequest { ModelName = "canary" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.Add(valid ? 4 : 3);
        input.Contents.Fp32Contents.AddRange(valid ? [1, 2, 3, 4] : [1, 2, 3]);
        request.Inputs.Add(input);
        using var call = gateway.Grpc.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            var headers = await call.ResponseHeadersAsync;
            await call.ResponseAsync;
            return (StatusCode.OK, headers.GetValue("x-serving-model-version"));
        }
        catch (RpcException e)
        {
            return (e.StatusCode, null);
        }
    }
}
