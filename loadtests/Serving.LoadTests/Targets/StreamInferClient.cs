using Grpc.Core;
using Grpc.Net.Client;
using Serving.LoadTests.Payloads;
using Serving.Protocol.Inference;

namespace Serving.LoadTests.Targets;

/// <summary>
/// gRPC over Triton's ModelStreamInfer (<c>run --stream</c>): one long-lived stream per connection, each caller's
/// requests written on its connection's stream and its answers matched back by id, as <c>tritonclient.grpc</c>'s
/// <c>async_stream_infer</c> and <c>perf_analyzer --streaming</c> do. A request answered with an <c>error_message</c>
/// counts as a stream error; a stream that breaks fails the requests waiting on it and is opened again for the next.
/// </summary>
internal sealed class StreamInferClient : IInferClient
{
    private readonly GrpcChannel[] _channels;
    private readonly StreamConnection[] _connections;
    private readonly byte[] _payload;
    private readonly InferPayload _source;
    private readonly int _callersPerConnection;

    /// <summary>Opens <paramref name="connections"/> channels to <paramref name="address"/>, one stream each, for up to <paramref name="callers"/> callers.</summary>
    public StreamInferClient(Uri address, InferPayload payload, int connections, int callers)
    {
        _source = payload;
        _payload = GrpcPayloadEncoder.Encode(payload);
        connections = Math.Max(1, connections);
        _channels = Enumerable.Range(0, connections).Select(_ => GrpcInferClient.CreateChannel(address)).ToArray();
        _connections = _channels.Select(c => new StreamConnection(c.CreateCallInvoker(), Errors)).ToArray();
        _callersPerConnection = Math.Max(1, (int)Math.Ceiling(Math.Max(1, callers) / (double)connections));
    }

    /// <inheritdoc />
    public int RequestBytes => _payload.Length;

    /// <inheritdoc />
    public ErrorSamples Errors { get; } = new();

    /// <inheritdoc />
    public IInferCaller CreateCaller(int index) =>
        _connections[Math.Min(index / _callersPerConnection, _connections.Length - 1)].Add(_payload);

    /// <inheritdoc />
    public async Task<string?> PreflightAsync(CancellationToken cancellationToken)
    {
        // The typed client parses the answer, so a server that answers with nonsense is caught here once.
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(_channels[0]);
        var request = GrpcPayloadEncoder.ToMessage(_source);
        request.Id = "preflight";
        try
        {
            using var call = client.ModelStreamInfer(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return "the server ended the stream without answering";
            }

            var answer = call.ResponseStream.Current;
            return answer.ErrorMessage.Length > 0 ? "the stream answered with an error: " + answer.ErrorMessage
                : answer.InferResponse?.Id != "preflight" ? $"the stream answered id '{answer.InferResponse?.Id}' to id 'preflight'"
                : answer.InferResponse.Outputs.Count == 0 ? "the server answered with no outputs"
                : null;
        }
        catch (RpcException e)
        {
            return $"gRPC {e.StatusCode}{(e.Status.Detail.Length > 0 ? ": " + e.Status.Detail : string.Empty)}" + (e.StatusCode == StatusCode.Unimplemented ? " (the server does not serve ModelStreamInfer)" : string.Empty);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }
}
