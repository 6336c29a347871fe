using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Targets;
using Serving.Protocol.Inference;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// A gRPC client whose callers send different requests: request j goes to caller j mod callers, and each caller
/// cycles through its own, so every entity is asked for and no two callers ask for the same one. Each request is
/// serialized once, as <see cref="GrpcInferClient"/> does for its one.
/// </summary>
internal sealed class RotatingInferClient : IInferClient
{
    private readonly GrpcClientKind _kind;
    private readonly IReadOnlyList<InferPayload> _payloads;
    private readonly byte[][] _messages;
    private readonly GrpcChannel[] _channels;
    private readonly HttpMessageInvoker[] _rawInvokers;
    private readonly GrpcChannel _preflightChannel;
    private readonly Uri _methodUri;
    private readonly int _callers;
    private readonly int _callersPerConnection;

    /// <summary>Opens <paramref name="connections"/> connections to <paramref name="address"/> for <paramref name="callers"/> callers.</summary>
    public RotatingInferClient(Uri address, IReadOnlyList<InferPayload> payloads, GrpcClientKind kind, int connections, int callers)
    {
        if (payloads.Count == 0)
        {
            throw new LoadTestException("no requests to send");
        }

        _kind = kind;
        _payloads = payloads;
        _messages = payloads.Select(GrpcPayloadEncoder.Encode).ToArray();
        _methodUri = new Uri(address, "inference.GRPCInferenceService/ModelInfer");
        connections = Math.Max(1, connections);
        var raw = kind == GrpcClientKind.RawHttp2;
        _channels = raw ? [] : Enumerable.Range(0, connections).Select(_ => CreateChannel(address)).ToArray();
        _rawInvokers = raw ? Enumerable.Range(0, connections).Select(_ => new HttpMessageInvoker(HttpHandlers.ForGrpc())).ToArray() : [];
        _preflightChannel = raw ? CreateChannel(address) : _channels[0];
        _callers = Math.Max(1, callers);
        _callersPerConnection = Math.Max(1, (int)Math.Ceiling(_callers / (double)connections));
    }

    /// <inheritdoc />
    public int RequestBytes => _messages[0].Length;

    /// <inheritdoc />
    public ErrorSamples Errors { get; } = new();

    /// <summary>Which requests caller <paramref name="index"/> of <paramref name="callers"/> sends, in order.</summary>
    public static int[] Share(int index, int callers, int requests) => requests >= callers
        ? Enumerable.Range(0, ((requests - index - 1) / callers) + 1).Select(k => index + (k * callers)).ToArray()
        : [index % requests];

    /// <inheritdoc />
    public IInferCaller CreateCaller(int index)
    {
        var connection = Math.Min(index / _callersPerConnection, (_kind == GrpcClientKind.RawHttp2 ? _rawInvokers.Length : _channels.Length) - 1);
        return new RotatingCaller(Share(index % _callers, _callers, _messages.Length).Select(j => CreateOne(connection, j)).ToArray());
    }

    /// <inheritdoc />
    public async Task<string?> PreflightAsync(CancellationToken cancellationToken)
    {
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(_preflightChannel);
        try
        {
            var response = await client.ModelInferAsync(GrpcPayloadEncoder.ToMessage(_payloads[0]), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            return response.Outputs.Count == 0 ? "the server answered with no outputs"
                : response.Parameters.ContainsKey("features_defaulted_rows") ? "the worker filled defaults (features_defaulted_rows): the entity's features did not come from the store"
                : null;
        }
        catch (RpcException e)
        {
            return $"gRPC {e.StatusCode}: {e.Status.Detail}";
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        foreach (var invoker in _rawInvokers)
        {
            invoker.Dispose();
        }

        if (_kind == GrpcClientKind.RawHttp2)
        {
            _preflightChannel.Dispose();
        }
    }

    private IInferCaller CreateOne(int connection, int request) => _kind == GrpcClientKind.GrpcNet
        ? new GrpcInferCaller(_channels[connection].CreateCallInvoker(), _messages[request], Errors)
        : new RawHttp2GrpcCaller(_rawInvokers[connection], _methodUri, new PreserializedContent(GrpcFraming.Frame(_messages[request]), "application/grpc"), Errors);

    private static GrpcChannel CreateChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = HttpHandlers.ForGrpc(),
        DisposeHttpClient = true,
    });
}
