using System.Buffers;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Serving.Hosting.Http;
using Serving.Protocol.Inference;
using Serving.Worker.Metrics;

namespace Serving.Worker.Endpoints;

/// <summary>
/// Binds <c>inference.GRPCInferenceService</c> to <see cref="GrpcInferenceEndpoint"/> with <see cref="ProtobufMarshaller"/>;
/// an infer request that is not a ModelInferRequest is counted (model <c>_unknown</c>) as the handler never sees it.
/// </summary>
internal sealed class InferenceServiceMethodProvider(WorkerMetrics metrics, RequestMemoryBudget budget) : IServiceMethodProvider<GrpcInferenceEndpoint>
{
    public const string ServiceName = "inference.GRPCInferenceService";

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<GrpcInferenceEndpoint> context)
    {
        var inferRequests = ProtobufMarshaller.Create(ModelInferRequest.Parser, Malformed, Cover);
        Add(context, "ServerLive", ServerLiveRequest.Parser, ServerLiveResponse.Parser, (s, r, c) => s.ServerLive(r, c));
        Add(context, "ServerReady", ServerReadyRequest.Parser, ServerReadyResponse.Parser, (s, r, c) => s.ServerReady(r, c));
        Add(context, "ModelReady", ModelReadyRequest.Parser, ModelReadyResponse.Parser, (s, r, c) => s.ModelReady(r, c));
        Add(context, "ServerMetadata", ServerMetadataRequest.Parser, ServerMetadataResponse.Parser, (s, r, c) => s.ServerMetadata(r, c));
        Add(context, "ModelMetadata", ModelMetadataRequest.Parser, ModelMetadataResponse.Parser, (s, r, c) => s.ModelMetadata(r, c));
        // ModelInfer answers with InferReply: raw responses are written straight from the outputs, with no message objects.
        context.AddUnaryMethod(
            new Method<ModelInferRequest, InferReply>(MethodType.Unary, ServiceName, "ModelInfer", inferRequests, InferReply.Marshaller),
            [],
            (s, r, c) => s.ModelInfer(r, c));
        context.AddDuplexStreamingMethod(
            new Method<ModelInferRequest, ModelStreamInferResponse>(
                MethodType.DuplexStreaming, ServiceName, "ModelStreamInfer", inferRequests, ProtobufMarshaller.Create(ModelStreamInferResponse.Parser)),
            [],
            (s, requests, responses, c) => s.ModelStreamInfer(requests, responses, c));
        Add(context, "ModelConfig", ModelConfigRequest.Parser, ModelConfigResponse.Parser, (s, r, c) => s.ModelConfig(r, c));
        Add(context, "ModelStatistics", ModelStatisticsRequest.Parser, ModelStatisticsResponse.Parser, (s, r, c) => s.ModelStatistics(r, c));
        Add(context, "RepositoryIndex", RepositoryIndexRequest.Parser, RepositoryIndexResponse.Parser, (s, r, c) => s.RepositoryIndex(r, c));
        Add(context, "RepositoryModelLoad", RepositoryModelLoadRequest.Parser, RepositoryModelLoadResponse.Parser, (s, r, c) => s.RepositoryModelLoad(r, c));
        Add(context, "RepositoryModelUnload", RepositoryModelUnloadRequest.Parser, RepositoryModelUnloadResponse.Parser, (s, r, c) => s.RepositoryModelUnload(r, c));
    }

    // A message that would take more memory decoded than the budget gives it is refused before protobuf decodes it.
    private void Cover(in ReadOnlySequence<byte> message)
    {
        try
        {
            GrpcMessageMemory.Cover(message, budget);
        }
        catch (RpcException)
        {
            metrics.Observe(WorkerMetrics.UnknownModel, "", "grpc", nameof(Serving.Protocol.Errors.InferenceErrorCode.ResourceExhausted), 0);
            throw;
        }
    }

    private void Malformed() => metrics.Observe(WorkerMetrics.UnknownModel, "", "grpc", nameof(Serving.Protocol.Errors.InferenceErrorCode.InvalidArgument), 0);

    private static void Add<TRequest, TResponse>(
        ServiceMethodProviderContext<GrpcInferenceEndpoint> context,
        string name,
        MessageParser<TRequest> requestParser,
        MessageParser<TResponse> responseParser,
        UnaryServerMethod<GrpcInferenceEndpoint, TRequest, TResponse> invoker)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var method = new Method<TRequest, TResponse>(
            MethodType.Unary, ServiceName, name, ProtobufMarshaller.Create(requestParser), ProtobufMarshaller.Create(responseParser));
        context.AddUnaryMethod(method, [], invoker);
    }
}
