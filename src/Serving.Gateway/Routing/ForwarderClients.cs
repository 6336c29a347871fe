using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Serving.Gateway.Routing;

/// <summary>
/// The HTTP clients to workers: one pooled handler for forwarded requests and one for shadow
/// copies (a stalled shadow can't take the primary's connections). gRPC goes over cleartext
/// HTTP/2, which needs Version 2 with RequestVersionExact (no ALPN without TLS); REST over HTTP/1.1.
/// </summary>
internal sealed class ForwarderClients : IDisposable
{
    public ForwarderClients(IOptions<GatewayOptions> options)
    {
        var o = options.Value;
        Primary = new HttpMessageInvoker(CreateHandler(o.ConnectTimeout));
        Shadow = new HttpMessageInvoker(CreateHandler(o.ConnectTimeout));
        Grpc = new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = o.ActivityTimeout };
        Rest = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = o.ActivityTimeout };
    }

    public HttpMessageInvoker Primary { get; }

    public HttpMessageInvoker Shadow { get; }

    public ForwarderRequestConfig Grpc { get; }

    public ForwarderRequestConfig Rest { get; }

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
