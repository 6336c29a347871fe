using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Hosting.Health;
using Serving.Hosting.Http;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Worker.Batching;
using Serving.Worker.Configuration;
using Serving.Worker.Inference;
using Serving.Worker.Models;

namespace Serving.Worker.Endpoints;

/// <summary>The Open Inference Protocol over gRPC (<c>inference.GRPCInferenceService</c>), bound by <see cref="InferenceServiceMethodProvider"/>.</summary>
internal sealed class GrpcInferenceEndpoint(
    InferenceService inference, ModelResolver resolver, ModelRepository repository, ReadinessState readiness, IOptions<WorkerOptions> options,
    ILogger<GrpcInferenceEndpoint> logger)
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

    /// <summary>Triton's ModelConfig: the REST answer's JSON, read into the message.</summary>
    public Task<ModelConfigResponse> ModelConfig(ModelConfigRequest request, ServerCallContext context) =>
        Guard(() =>
        {
            using var json = JsonResponse.Parse(w => ModelConfigView.Write(w, resolver, request.Name, request.Version));
            return new ModelConfigResponse { Config = TritonJson.ParseConfig(json.RootElement) };
        });

    /// <summary>Triton's ModelStatistics: every loaded version without a name, every version of a model without a version.</summary>
    public Task<ModelStatisticsResponse> ModelStatistics(ModelStatisticsRequest request, ServerCallContext context) =>
        Guard(() =>
        {
            var name = string.IsNullOrEmpty(request.Name) ? null : request.Name;
            using var json = JsonResponse.Parse(w => ModelStatisticsView.Write(w, resolver, repository.Table, name, request.Version));
            return TritonJson.ParseStatistics(json.RootElement);
        });

    /// <summary>Triton's RepositoryIndex: every version and its state (only READY ones when asked).</summary>
    public Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context) =>
        Task.FromResult(Serving.Hosting.Http.RepositoryIndex.ToMessage(RepositoryEndpoints.Entries(repository.Table), request.Ready));

    /// <summary>Triton's RepositoryModelLoad: as REST's, with the admin token in the <c>authorization</c> metadata.</summary>
    public async Task<RepositoryModelLoadResponse> RepositoryModelLoad(RepositoryModelLoadRequest request, ServerCallContext context)
    {
        await ControlAsync(context, request.ModelName, load: true, ControlParameters.Check(load: true, request.Parameters)).ConfigureAwait(false);
        return new RepositoryModelLoadResponse();
    }

    /// <summary>Triton's RepositoryModelUnload: as REST's, with the admin token in the <c>authorization</c> metadata.</summary>
    public async Task<RepositoryModelUnloadResponse> RepositoryModelUnload(RepositoryModelUnloadRequest request, ServerCallContext context)
    {
        await ControlAsync(context, request.ModelName, load: false, ControlParameters.Check(load: false, request.Parameters)).ConfigureAwait(false);
        return new RepositoryModelUnloadResponse();
    }

    private static async Task ControlAsync(ServerCallContext context, string model, bool load, string? refusedParameters)
    {
        var (status, message) = await RepositoryEndpoints.ControlAsync(context.GetHttpContext(), model, load, refusedParameters).ConfigureAwait(false);
        if (status != 200)
        {
            throw new RpcException(new Status(GrpcStatuses.FromHttp(status), message ?? ""));
        }
    }

    public async Task<InferReply> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var inferring = false; // from InferAsync on, the service counts the request
        long deadline = CallerDeadline.NotGiven, arrived = 0;
        try
        {
            if (request.ModelName.Length == 0)
            {
                // As the gateway says it (the name check's "names are 1-128 characters" told such a caller nothing).
                throw InferenceException.Invalid("model_name is required");
            }

            using var decoded = GrpcInferCodec.Decode(request, options.Value.MaxElementsPerTensor);
            arrived = Stopwatch.GetTimestamp();
            deadline = GrpcDeadline.Of(context);
            inferring = true;
            // The HTTP headers directly: ServerCallContext.RequestHeaders copies every header into a new Metadata per call,
            // and WriteResponseHeadersAsync flushes the headers in a frame of their own before the message.
            var http = context.GetHttpContext();
            var response = await inference.InferAsync(decoded, "grpc", deadline, context.CancellationToken, GatewayHints.From(http.Request.Headers)).ConfigureAwait(false);
            http.Response.Headers[InferenceService.ServedVersionHeader] = response.ModelVersion;
            if (!GrpcInferCodec.UsesRaw(response, decoded.RawOutput))
            {
                using (response)
                {
                    return InferReply.Of(GrpcInferCodec.Encode(response, raw: false));
                }
            }

            // Written, and disposed, when gRPC serializes it; disposed with the request if it never is.
            var reply = InferReply.Raw(response);
            http.Response.RegisterForDispose(reply);
            return reply;
        }
        catch (InferenceException e)
        {
            if (!inferring)
            {
                inference.Refused(request.ModelName, "grpc", e.Code.ToString());
            }

            throw e.CallerBudget is { } budget
                ? new RpcException(new Status(e.GrpcStatus, e.Message), Marked(budget))
                : new RpcException(new Status(e.GrpcStatus, e.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The deadline passed or the caller went away while the request was queued; the call's deadline is the caller's.
            const string ended = "the call ended before the request ran";
            throw context.Deadline <= DateTime.UtcNow
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, ended), Marked(deadline < CallerDeadline.Unbounded ? Stopwatch.GetElapsedTime(arrived, deadline) : TimeSpan.Zero))
                : new RpcException(new Status(StatusCode.Cancelled, ended));
        }
    }

    /// <summary>Triton's ModelStreamInfer: requests and answers on one stream, matched by id (<see cref="InferStream"/>).</summary>
    public Task ModelStreamInfer(IAsyncStreamReader<ModelInferRequest> requests, IServerStreamWriter<ModelStreamInferResponse> responses, ServerCallContext context)
    {
        // Shutdown waits for this once it has asked the stream to end: disposed when the answer, trailers included, is complete.
        context.GetHttpContext().Response.RegisterForDispose(readiness.EnterLongCall());
        return new InferStream(inference, options.Value.MaxElementsPerTensor, context, responses, readiness.Draining, logger).RunAsync(requests);
    }

    // The trailing metadata of a DEADLINE_EXCEEDED that the caller's deadline caused (CallerDeadlineMark).
    private static Metadata Marked(TimeSpan budget) => new() { { CallerDeadlineMark.Header, CallerDeadlineMark.Value(budget) } };

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
