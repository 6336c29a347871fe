using Grpc.Core;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;
using System.Text.Json;
using Serving.Hosting.Health;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;

namespace Serving.Gateway.Endpoints;

/// <summary>The Open Inference Protocol's gRPC methods the gateway answers itself (ModelInfer is forwarded, see <see cref="GrpcInferEndpoint"/>).</summary>
internal sealed class GatewayGrpcEndpoint(RoutingState routing, TrafficPolicies policies, ReadinessState readiness, GatewayTriton triton)
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

    /// <summary>Triton's ModelConfig: the REST config of a healthy worker that has the version, read into the message.</summary>
    public async Task<ModelConfigResponse> ModelConfig(ModelConfigRequest request, ServerCallContext context)
    {
        try
        {
            var (status, json) = await triton.ConfigAsync(request.Name, request.Version, context.CancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(json);
            if (status != 200)
            {
                var message = document.RootElement.TryGetProperty("error", out var e) ? e.GetString() ?? "" : $"the worker answered {status}";
                throw new RpcException(new Status(GrpcStatuses.FromHttp(status), message));
            }

            return new ModelConfigResponse { Config = TritonJson.ParseConfig(document.RootElement) };
        }
        catch (InferenceException e)
        {
            throw new RpcException(new Status(e.GrpcStatus, e.Message));
        }
    }

    /// <summary>Triton's ModelStatistics summed over the workers.</summary>
    public async Task<ModelStatisticsResponse> ModelStatistics(ModelStatisticsRequest request, ServerCallContext context)
    {
        try
        {
            var merge = await triton.StatisticsAsync(request.Name, request.Version, context.CancellationToken).ConfigureAwait(false);
            using var json = JsonResponse.Parse(merge.Write);
            return TritonJson.ParseStatistics(json.RootElement);
        }
        catch (InferenceException e)
        {
            throw new RpcException(new Status(e.GrpcStatus, e.Message));
        }
    }

    /// <summary>Triton's RepositoryIndex across the workers (only READY versions when asked).</summary>
    public Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context) =>
        Task.FromResult(Serving.Hosting.Http.RepositoryIndex.ToMessage(triton.Index(), request.Ready));

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
