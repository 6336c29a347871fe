using Grpc.Core;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using Serving.Hosting.Health;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Endpoints;

/// <summary>The Open Inference Protocol's gRPC methods the gateway answers itself (ModelInfer is forwarded, see <see cref="GrpcInferEndpoint"/>).</summary>
internal sealed class GatewayGrpcEndpoint(RoutingState routing, TrafficPolicies policies, ReadinessState readiness)
{
    public Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = readiness.IsReady && routing.Table.AnyReady });

    public Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new ServerMetadataResponse { Name = GatewayServerInfo.Name, Version = GatewayServerInfo.Version };
        response.Extensions.AddRange(GatewayServerInfo.Extensions);
        return Task.FromResult(response);
    }

    public Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Guard(() => new ModelReadyResponse { Ready = GatewayModelView.IsReady(routing.Table, policies, request.Name, request.Version) });

    public Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) =>
        Guard(() => GatewayModelView.Metadata(routing.Table, policies, request.Name, request.Version));

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
