using System.Net.Http;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.LoadTests.Targets;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;

namespace Serving.LoadTests.Payloads;

/// <summary>Fetches a model's input metadata over the protocol under test (gRPC <c>ModelMetadata</c> or REST <c>GET /v2/models/{m}</c>).</summary>
internal static class ModelMetadataClient
{
    /// <summary>How long the metadata call waits for its answer unless told otherwise.</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(10);

    /// <summary>The model's inputs; no answer within <paramref name="patience"/> (default 10 s) is a <see cref="LoadTestException"/> saying so.</summary>
    public static Task<IReadOnlyList<TensorSpec>> GetInputsAsync(LoadTarget target, CancellationToken cancellationToken, TimeSpan? patience = null) =>
        target.Protocol == TargetProtocol.Grpc
            ? GetInputsGrpcAsync(target, patience ?? DefaultPatience, cancellationToken)
            : GetInputsRestAsync(target, patience ?? DefaultPatience, cancellationToken);

    private static async Task<IReadOnlyList<TensorSpec>> GetInputsGrpcAsync(LoadTarget target, TimeSpan patience, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(target.Address, new GrpcChannelOptions { HttpHandler = HttpHandlers.ForMetadata() });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        try
        {
            var response = await client.ModelMetadataAsync(
                new ModelMetadataRequest { Name = target.Model, Version = target.ModelVersion },
                deadline: DateTime.UtcNow + patience,
                cancellationToken: cancellationToken);
            return response.Inputs.Select(i => new TensorSpec(i.Name, i.Datatype, i.Shape.ToArray())).ToList();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is not null)
        {
            throw new LoadTestException($"could not reach {target.Address} ({e.Status.Detail}): is a server listening there? (`serving up`: gRPC 8001, REST 8000)", e);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded && string.IsNullOrEmpty(e.Status.Detail))
        {
            // The client's own deadline: the port took the connection and nothing came back (a server's says more).
            throw new LoadTestException(NoAnswer(target, patience), e);
        }
        catch (RpcException e)
        {
            if (await GrpcCallFailures.IsHttp11OnlyAsync(e, target.Address, cancellationToken))
            {
                throw new LoadTestException($"{target.Address} speaks HTTP/1.1 only, not gRPC: is it a REST port? Pass the gRPC port (`serving up`: 8001, a worker: 8081), or --protocol rest-json for REST", e);
            }

            throw new LoadTestException($"gRPC ModelMetadata for '{target.Model}' at {target.Address} failed: {e.StatusCode} {e.Status.Detail}", e);
        }
    }

    private static async Task<IReadOnlyList<TensorSpec>> GetInputsRestAsync(LoadTarget target, TimeSpan patience, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(HttpHandlers.ForMetadata()) { Timeout = patience };
        var uri = new Uri(target.Address, RestPaths.Model(target.Model, target.ModelVersion));
        try
        {
            using var response = await http.GetAsync(uri, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new LoadTestException($"GET {uri} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
            }

            using var document = JsonDocument.Parse(body);
            return document.RootElement.GetProperty("inputs").EnumerateArray()
                .Select(i => new TensorSpec(
                    i.GetProperty("name").GetString()!,
                    i.GetProperty("datatype").GetString()!,
                    i.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray()))
                .ToList();
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new LoadTestException($"could not reach {target.Address} ({e.Message}): is a server listening there? (`serving up`: gRPC 8001, REST 8000)", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's timeout, not Ctrl+C: before, the command said "interrupted" and exited 130.
            throw new LoadTestException(NoAnswer(target, patience), e);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new LoadTestException($"GET {uri} failed: {e.Message}", e);
        }
    }

    private static string NoAnswer(LoadTarget target, TimeSpan patience) =>
        $"no answer from {target.Address} within {patience.TotalSeconds:0.#} s to the model's metadata: is it the {(target.Protocol == TargetProtocol.Grpc ? "gRPC" : "REST")} port of a running server? (`serving up`: gRPC 8001, REST 8000)";
}
