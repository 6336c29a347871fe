using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// The Ingest stream over one HTTP/2 channel to <see cref="PredictionLogOptions.Endpoint"/>, with
/// <see cref="PredictionLogOptions.IngestToken"/> as its bearer token when set.
/// </summary>
internal sealed class GrpcPredictionLogTransport(IOptions<PredictionLogOptions> options) : IPredictionLogTransport, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Metadata? _headers = string.IsNullOrEmpty(options.Value.IngestToken)
        ? null
        : new Metadata { { "authorization", "Bearer " + options.Value.IngestToken } };

    private GrpcChannel? _channel;

    public AsyncDuplexStreamingCall<PendingBatch, IngestAck> Open(CancellationToken cancellationToken) =>
        Channel().CreateCallInvoker().AsyncDuplexStreamingCall(IngestMethod.Ingest, null, new CallOptions(_headers, cancellationToken: cancellationToken));

    public void Dispose() => _channel?.Dispose();

    private GrpcChannel Channel()
    {
        lock (_gate)
        {
            return _channel ??= GrpcChannel.ForAddress(options.Value.Endpoint!, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    // Fail fast when the monitor is down, and notice a dead peer on an idle stream.
                    ConnectTimeout = TimeSpan.FromSeconds(5),
                    KeepAlivePingDelay = TimeSpan.FromSeconds(20),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                    KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    EnableMultipleHttp2Connections = true,
                },
                MaxReceiveMessageSize = 4 * 1024 * 1024,
                MaxSendMessageSize = null,
            });
        }
    }
}
