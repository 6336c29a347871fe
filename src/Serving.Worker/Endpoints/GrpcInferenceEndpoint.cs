using Grpc.Core;
using Microsoft.Extensions.Options;
using Serving.Hosting.Health;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Worker.Configuration;
using Serving.Worker.Inference;

namespace Serving.Worker.Endpoints;

/// <summary>The Open Inference Protocol over gRPC (<c>inference.GRPCInferenceService</c>), bound by <see cref="InferenceServiceMethodProvider"/>.</summary>
internal sealed class GrpcInferenceEndpoint(
    InferenceService inference, ModelResolver resolver, ReadinessState readiness, IOptions<WorkerOptions> options)
{
    public Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = readiness.IsReady });

    public Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new ServerMetadataResponse { Name = ServerInfo.Name, Version = ServerInfo.Version };
        response.Extensions.AddRange(ServerInfo.Extensions);
        return Task.FromResult(response);
    }

    public Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Guard(() => new ModelReadyResponse { Ready = ModelMetadataView.IsReady(resolver, request.Name, request.Version) });

    public Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) =>
        Guard(() => ModelMetadataView.Build(resolver, request.Name, request.Version));

    public async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        try
        {
            using var decoded = GrpcInferCodec.Decode(request, options.Value.MaxElementsPerTensor);
            var deadline = context.Deadline == DateTime.MaxValue ? long.MaxValue : InferenceService.DeadlineIn(context.Deadline - DateTime.UtcNow);
            // The HTTP headers directly: ServerCallContext.RequestHeaders copies every header into a new Metadata per call,
            // and WriteResponseHeadersAsync flushes the headers in a frame of their own before the message.
            var http = context.GetHttpContext();
            using var response = await inference.InferAsync(decoded, "grpc", deadline, context.CancellationToken, GatewayHints.From(http.Request.Headers)).ConfigureAwait(false);
            http.Response.Headers[InferenceService.ServedVersionHeader] = response.ModelVersion;
            return GrpcInferCodec.Encode(response, decoded.RawOutput);
        }
        catch (InferenceException e)
        {
            throw new RpcException(new Status(e.GrpcStatus, e.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The deadline passed or the caller went away while the request was queued.
            throw new RpcException(new Status(context.Deadline <= DateTime.UtcNow ? StatusCode.DeadlineExceeded : StatusCode.Cancelled, "the call ended before the request ran"));
        }
    }

    private static Task<T> Guard<T>(Func<T> action)
    {
        try
        {
            return Task.FromResult(action());
        }
        catch (InferenceException e)
        {
            throw new RpcException(new Status(e.GrpcStatus, e.Message));
        }
    }
}
