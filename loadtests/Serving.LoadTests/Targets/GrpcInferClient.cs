using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.LoadTests.Payloads;
using Serving.Protocol.Inference;

namespace Serving.LoadTests.Targets;

/// <summary>
/// Several connections, each from its own socket handler: Kestrel allows 100 streams per HTTP/2 connection and
/// queues the rest, so callers are spread in blocks over them. Grpc.Net.Client takes over the ConnectCallback of
/// a handler it is given, so the raw HTTP/2 callers never share a handler with a channel.
/// </summary>
internal sealed class GrpcInferClient : IInferClient
{
    private readonly GrpcClientKind _kind;
    private readonly GrpcChannel[] _channels;
    private readonly CallInvoker[] _invokers;
    private readonly HttpMessageInvoker[] _rawInvokers;
    private readonly GrpcChannel _preflightChannel;
    private readonly Uri _methodUri;
    private readonly byte[] _payload;
    private readonly byte[] _framed;
    private readonly InferPayload _source;
    private readonly int _callersPerConnection;

    /// <summary>Opens <paramref name="connections"/> connections to <paramref name="address"/> for up to <paramref name="callers"/> callers.</summary>
    public GrpcInferClient(Uri address, InferPayload payload, GrpcClientKind kind, int connections, int callers)
    {
        _kind = kind;
        _source = payload;
        _payload = GrpcPayloadEncoder.Encode(payload);
        _framed = GrpcFraming.Frame(_payload);
        _methodUri = new Uri(address, "inference.GRPCInferenceService/ModelInfer");
        connections = Math.Max(1, connections);
        var raw = kind == GrpcClientKind.RawHttp2;
        _channels = raw ? [] : Enumerable.Range(0, connections).Select(_ => CreateChannel(address)).ToArray();
        _invokers = _channels.Select(c => c.CreateCallInvoker()).ToArray();
        _rawInvokers = raw ? Enumerable.Range(0, connections).Select(_ => new HttpMessageInvoker(HttpHandlers.ForGrpc())).ToArray() : [];
        _preflightChannel = raw ? CreateChannel(address) : _channels[0];
        _callersPerConnection = Math.Max(1, (int)Math.Ceiling(Math.Max(1, callers) / (double)connections));
    }

    /// <inheritdoc />
    public int RequestBytes => _payload.Length;

    /// <inheritdoc />
    public ErrorSamples Errors { get; } = new();

    /// <inheritdoc />
    public IInferCaller CreateCaller(int index) => _kind == GrpcClientKind.GrpcNet
        ? new GrpcInferCaller(_invokers[Connection(index, _invokers.Length)], _payload, Errors)
        : new RawHttp2GrpcCaller(_rawInvokers[Connection(index, _rawInvokers.Length)], _methodUri, new PreserializedContent(_framed, "application/grpc"), Errors);

    /// <inheritdoc />
    public async Task<string?> PreflightAsync(CancellationToken cancellationToken)
    {
        // The typed client parses the answer, so a server that answers OK with nonsense is caught here once.
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(_preflightChannel);
        try
        {
            var response = await client.ModelInferAsync(
                GrpcPayloadEncoder.ToMessage(_source), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            return response.Outputs.Count == 0 ? "the server answered with no outputs" : null;
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

    /// <summary>A channel on its own socket handler, with no message size limit of its own (the server's applies).</summary>
    internal static GrpcChannel CreateChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = HttpHandlers.ForGrpc(),
        DisposeHttpClient = true,
        MaxReceiveMessageSize = 256 * 1024 * 1024,
        MaxSendMessageSize = 256 * 1024 * 1024,
    });

    private int Connection(int callerIndex, int count) => Math.Min(callerIndex / _callersPerConnection, count - 1);
}
