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
/// worker's gRPC address (it serves the REST routes too), or over HTTP/1.1 to its REST address, as
/// <see cref="GatewayOptions.RestToWorkers"/> says.
/// </summary>
internal sealed class ForwarderClients : IDisposable
{
    private readonly WorkerRestProtocol _rest;
    private readonly ForwarderRequestConfig _http11;

    public ForwarderClients(IOptions<GatewayOptions> options)
    {
        var o = options.Value;
        Primary = new HttpMessageInvoker(CreateHandler(o.ConnectTimeout));
        Shadow = new HttpMessageInvoker(CreateHandler(o.ConnectTimeout));
        Http2 = new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = o.ActivityTimeout };
        _http11 = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = o.ActivityTimeout };
        _rest = o.RestToWorkers;
    }

    public HttpMessageInvoker Primary { get; }

    public HttpMessageInvoker Shadow { get; }

    /// <summary>YARP's settings for HTTP/2 cleartext to a worker's gRPC address (REST calls taking that hop; gRPC itself goes through <see cref="GrpcUnaryForwarder"/>).</summary>
    public ForwarderRequestConfig Http2 { get; }

    /// <summary>
    /// Where a REST call to <paramref name="worker"/> goes and how, read before the call counts as in flight. With
    /// <see cref="WorkerRestProtocol.Auto"/> a call that finds nothing in flight to the worker takes HTTP/1.1 (fewer
    /// hand-offs, answered sooner), and calls that overlap share HTTP/2.
    /// </summary>
    public (string Prefix, ForwarderRequestConfig Config) RestHop(WorkerEndpoint worker) =>
        _rest switch
        {
            WorkerRestProtocol.Http11 => (worker.RestPrefix, _http11),
            WorkerRestProtocol.Auto when worker.InFlight == 0 => (worker.RestPrefix, _http11),
            _ => (worker.GrpcPrefix, Http2),
        };

    /// <summary>Where a REST shadow copy goes and how: HTTP/1.1 only when configured so (nobody waits on a copy, so <c>Auto</c> takes HTTP/2).</summary>
    public (string Prefix, Version Version) ShadowRestHop(WorkerEndpoint worker) =>
        _rest == WorkerRestProtocol.Http11 ? (worker.RestPrefix, HttpVersion.Version11) : (worker.GrpcPrefix, HttpVersion.Version20);

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

        // A large REST body goes with Expect: 100-continue (GatewayTransformer). Workers are Kestrel and answer it as
        // soon as they start reading, so a long wait costs a healthy worker nothing; HttpClient's 1 s default let a
        // worker busy for longer get the body after its 413, and the caller a failed hop instead of the 413.
        Expect100ContinueTimeout = TimeSpan.FromSeconds(10),
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
    };
}
