using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Endpoints;

/// <summary>Binds every <c>inference.GRPCInferenceService</c> method but ModelInfer to <see cref="GatewayGrpcEndpoint"/>.</summary>
internal sealed class GatewayGrpcMethodProvider : IServiceMethodProvider<GatewayGrpcEndpoint>
{
    public const string ServiceName = "inference.GRPCInferenceService";

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<GatewayGrpcEndpoint> context)
    {
        Add(context, "ServerLive", ServerLiveRequest.Parser, ServerLiveResponse.Parser, (s, r, c) => s.ServerLive(r, c));
        Add(context, "ServerReady", ServerReadyRequest.Parser, ServerReadyResponse.Parser, (s, r, c) => s.ServerReady(r, c));
        Add(context, "ModelReady", ModelReadyRequest.Parser, ModelReadyResponse.Parser, (s, r, c) => s.ModelReady(r, c));
        Add(context, "ServerMetadata", ServerMetadataRequest.Parser, ServerMetadataResponse.Parser, (s, r, c) => s.ServerMetadata(r, c));
        Add(context, "ModelMetadata", ModelMetadataRequest.Parser, ModelMetadataResponse.Parser, (s, r, c) => s.ModelMetadata(r, c));
        Add(context, "ModelConfig", ModelConfigRequest.Parser, ModelConfigResponse.Parser, (s, r, c) => s.ModelConfig(r, c));
        Add(context, "ModelStatistics", ModelStatisticsRequest.Parser, ModelStatisticsResponse.Parser, (s, r, c) => s.ModelStatistics(r, c));
        Add(context, "RepositoryIndex", RepositoryIndexRequest.Parser, RepositoryIndexResponse.Parser, (s, r, c) => s.RepositoryIndex(r, c));
        Add(context, "RepositoryModelLoad", RepositoryModelLoadRequest.Parser, RepositoryModelLoadResponse.Parser, (_, _, _) => NotHere<RepositoryModelLoadResponse>());
        Add(context, "RepositoryModelUnload", RepositoryModelUnloadRequest.Parser, RepositoryModelUnloadResponse.Parser, (_, _, _) => NotHere<RepositoryModelUnloadResponse>());
    }

    private static Task<T> NotHere<T>() => throw new RpcException(new Status(StatusCode.Unimplemented, GatewayTriton.ModelControlHere));

    private static void Add<TRequest, TResponse>(
        ServiceMethodProviderContext<GatewayGrpcEndpoint> context,
        string name,
        MessageParser<TRequest> requestParser,
        MessageParser<TResponse> responseParser,
        UnaryServerMethod<GatewayGrpcEndpoint, TRequest, TResponse> invoker)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var method = new Method<TRequest, TResponse>(MethodType.Unary, ServiceName, name, Marshaller(requestParser), Marshaller(responseParser));
        context.AddUnaryMethod(method, [], invoker);
    }

    // An unparseable message is INVALID_ARGUMENT (the generated marshaller surfaces it as UNKNOWN).
    private static Marshaller<T> Marshaller<T>(MessageParser<T> parser)
        where T : class, IMessage<T> =>
        new(
            message => message.ToByteArray(),
            bytes =>
            {
                try
                {
                    return parser.ParseFrom(bytes);
                }
                catch (InvalidProtocolBufferException e)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"malformed {typeof(T).Name} protobuf: {e.Message}"));
                }
            });
}
