using Grpc.Core;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;

namespace Serving.LoadTests.Baselines.Hosting;

/// <summary>The OIP gRPC surface of a baseline over <see cref="GrpcInferCodec"/>; registered as a singleton so no service is built per call.</summary>
internal class OipGrpcService(IBaselineBackend backend, string serverName) : GRPCInferenceService.GRPCInferenceServiceBase
{
    private static readonly Task<ServerLiveResponse> Live = Task.FromResult(new ServerLiveResponse { Live = true });
    private static readonly Task<ServerReadyResponse> Ready = Task.FromResult(new ServerReadyResponse { Ready = true });

    /// <summary>The backend.</summary>
    protected IBaselineBackend Backend { get; } = backend;

    /// <inheritdoc />
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) => Live;

    /// <inheritdoc />
    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) => Ready;

    /// <inheritdoc />
    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = Backend.Describe(request.Name, request.Version) is not null });

    /// <inheritdoc />
    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = serverName, Version = "1" });

    /// <inheritdoc />
    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) =>
        Backend.Describe(request.Name, request.Version) is { } description
            ? Task.FromResult(description.ToGrpc())
            : throw new RpcException(new Status(StatusCode.NotFound, $"unknown model '{request.Name}' version '{request.Version}'"));

    /// <inheritdoc />
    public override Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        try
        {
            using var decoded = GrpcInferCodec.Decode(request, OipRestEndpoints.MaxElementsPerTensor);
            using var response = Backend.Infer(decoded);
            return Task.FromResult(GrpcInferCodec.Encode(response, decoded.RawOutput));
        }
        catch (InferenceException e)
        {
            throw new RpcException(new Status(e.GrpcStatus, e.Message));
        }
    }
}
