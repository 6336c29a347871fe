using Grpc.Core;
using Serving.Protocol.Inference;

namespace Serving.LoadTests.Baselines.Echo;

/// <summary>
/// gRPC echo that skips the codecs: outputs reuse the request's immutable ByteStrings and contents, so the
/// cost left is the RPC path itself (HTTP/2, protobuf parse and write).
/// </summary>
internal sealed class EchoGrpcService(EchoBackend backend) : Hosting.OipGrpcService(backend, "serving-echo-baseline")
{
    /// <inheritdoc />
    public override Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var raw = request.RawInputContents;
        if (raw.Count > 0 && raw.Count != request.Inputs.Count)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"raw_input_contents has {raw.Count} entries but the request has {request.Inputs.Count} inputs"));
        }

        var response = new ModelInferResponse
        {
            ModelName = request.ModelName,
            ModelVersion = request.ModelVersion.Length == 0 ? "1" : request.ModelVersion,
            Id = request.Id,
        };
        foreach (var input in request.Inputs)
        {
            var output = new ModelInferResponse.Types.InferOutputTensor { Name = input.Name, Datatype = input.Datatype, Contents = raw.Count == 0 ? input.Contents : null };
            output.Shape.Add(input.Shape);
            response.Outputs.Add(output);
        }

        response.RawOutputContents.Add(raw);
        return Task.FromResult(response);
    }
}
