using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Discovery;
using Yarp.ReverseProxy.Forwarder;

namespace Serving.Gateway.Routing;

/// <summary>
/// The HTTP clients to workers: one pooled handler for forwarded requests and one for shadow
/// copies (a stalled shadow can't take the primary's connections). gRPC goes over cleartext
/// HTTP/2, which needs Version 2 with RequestVersionExact (no ALPN without TLS). REST goes the same way to the
/// worker's gRPC address by default (it serves the REST routes too), or over HTTP/1.1 to its REST address
/// (<see cref="GatewayOptions.RestToWorkers"/>).
/// </summary>
internal sealed class ForwarderClients : IDisposable
{
    // True when REST calls go over HTTP/2 to the worker's gRPC address.
    private readonly bool _restOverHttp2;

    public ForwarderClients(IOptions<GatewayOptions> options)
    {
        var o = options.Value;
        Primary = new HttpMessageInvoker(CreateHandler(o.ConnectTimeout));
        Shadow = new HttpMessageInvoker(CreateHandler(o.ConnectTimeout));
        Grpc = new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = o.ActivityTimeout };
        _restOverHttp2 = o.RestToWorkers == WorkerRestProtocol.Http2;
        RestVersion = _restOverHttp2 ? HttpVersion.Version20 : HttpVersion.Version11;
        Rest = _restOverHttp2 ? Grpc : new ForwarderRequestConfig { Version = RestVersion, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = o.ActivityTimeout };
    }

    public HttpMessageInvoker Primary { get; }

    public HttpMessageInvoker Shadow { get; }

    public ForwarderRequestConfig Grpc { get; }

    public ForwarderRequestConfig Rest { get; }

    /// <summary>The HTTP version REST calls to workers use.</summary>
    public Version RestVersion { get; }

    /// <summary>Where a REST call to <paramref name="worker"/> goes.</summary>
    public string RestPrefix(WorkerEndpoint worker) => _restOverHttp2 ? worker.GrpcPrefix : worker.RestPrefix;

    public void Dispose()
    {
        Primary.Dispose();
        Shadow.Dispose();
    }

    private static SocketsHttpHandler CreateHandler(TimeSpan connectTimeout) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = connectTimeout,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
    };
}
