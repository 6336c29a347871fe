using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Serving.Gateway.Configuration;
using Serving.Gateway.Discovery;
using Serving.Hosting.Tracing;
using Yarp.ReverseProxy.Forwarder;

namespace Serving.Gateway.Routing;

/// <summary>
/// The HTTP clients to workers: one pooled handler for forwarded requests and one for shadow
/// copies (a stalled shadow can't take the primary's connections). gRPC goes over cleartext
/// HTTP/2, which needs Version 2 with RequestVersionExact (no ALPN without TLS). REST goes the same way to the
/// worker's gRPC address (it serves the REST routes too), or over HTTP/1.1 to its REST address, as
/// <see cref="GatewayOptions.RestToWorkers"/> says.
/// </summary>
/// <remarks>
/// With a tracer, HttpClient makes a span per call and puts its context on the call (YARP's propagator replaces
/// the caller's). Without one that span costs and shows nothing: a tenth of what the gateway allocated per gRPC
/// call went to it. The handlers then leave trace headers alone, so the caller's <c>traceparent</c> reaches the
/// worker as sent, and a call that came without one gets the gateway's request activity's
/// (<see cref="PropagateTraceContext"/>): the worker's log lines carry the gateway's trace id either way.
/// </remarks>
internal sealed class ForwarderClients : IDisposable
{
    private readonly WorkerRestProtocol _rest;
    private readonly ForwarderRequestConfig _http11;

    public ForwarderClients(IOptions<GatewayOptions> options, TracingStatus tracing)
    {
        var o = options.Value;
        HandlersPropagate = tracing.Exports;
        Primary = new HttpMessageInvoker(CreateHandler(o.ConnectTimeout, HandlersPropagate));
        Shadow = new HttpMessageInvoker(CreateHandler(o.ConnectTimeout, HandlersPropagate));
        Http2 = new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = o.ActivityTimeout };
        _http11 = new ForwarderRequestConfig { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact, ActivityTimeout = o.ActivityTimeout };
        _rest = o.RestToWorkers;
    }

    public HttpMessageInvoker Primary { get; }

    /// <summary>Whether the handlers make a span per call and put its trace context on the call (only with a tracer).</summary>
    public bool HandlersPropagate { get; }

    public HttpMessageInvoker Shadow { get; }

    /// <summary>YARP's settings for HTTP/2 cleartext to a worker's gRPC address (REST calls taking that hop; gRPC itself goes through <see cref="UnaryForwarder"/>).</summary>
    public ForwarderRequestConfig Http2 { get; }

    /// <summary>
    /// Where a REST call to <paramref name="worker"/> goes and how, read before the call counts as in flight. With
    /// <see cref="WorkerRestProtocol.Auto"/> a call that finds nothing in flight to the worker takes HTTP/1.1 (fewer
    /// hand-offs, answered sooner), and calls that overlap share HTTP/2. A body of unknown length
    /// (<paramref name="lengthKnown"/> false: chunked) always takes HTTP/2 then: a worker that refuses it part way
    /// (413 past its MaxRequestBytes) answers and resets the stream, where over HTTP/1.1 it closes the connection under
    /// the upload and the answer is lost (the caller got 503).
    /// </summary>
    public (string Prefix, ForwarderRequestConfig Config) RestHop(WorkerEndpoint worker, bool lengthKnown = true) =>
        _rest switch
        {
            WorkerRestProtocol.Http11 => (worker.RestPrefix, _http11),
            WorkerRestProtocol.Auto when worker.InFlight == 0 && lengthKnown => (worker.RestPrefix, _http11),
            _ => (worker.GrpcPrefix, Http2),
        };

    /// <summary>Where a REST shadow copy goes and how: HTTP/1.1 only when configured so (nobody waits on a copy, so <c>Auto</c> takes HTTP/2).</summary>
    public (string Prefix, Version Version) ShadowRestHop(WorkerEndpoint worker) =>
        _rest == WorkerRestProtocol.Http11 ? (worker.RestPrefix, HttpVersion.Version11) : (worker.GrpcPrefix, HttpVersion.Version20);

    /// <summary>
    /// Puts the current activity's W3C trace context on a call to a worker when the handlers don't, unless the
    /// caller's own <c>traceparent</c> is among the headers copied from <paramref name="incoming"/>.
    /// </summary>
    public void PropagateTraceContext(IHeaderDictionary? incoming, HttpRequestHeaders outgoing)
    {
        if (HandlersPropagate || (incoming is not null && incoming.ContainsKey(HeaderNames.TraceParent))
            || Activity.Current is not { IdFormat: ActivityIdFormat.W3C } activity)
        {
            return;
        }

        outgoing.TryAddWithoutValidation(HeaderNames.TraceParent, activity.Id);
        if (activity.TraceStateString is { } state)
        {
            outgoing.TryAddWithoutValidation(HeaderNames.TraceState, state);
        }
    }

    public void Dispose()
    {
        Primary.Dispose();
        Shadow.Dispose();
    }

    private static SocketsHttpHandler CreateHandler(TimeSpan connectTimeout, bool propagate) => new()
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

        // Kestrel takes a header value that is valid UTF-8 (its default decoding), so a caller may send one with
        // non-ASCII characters (x-user-id: ü); HttpClient's default encoding is ASCII, which refused such a value as a
        // failed send, and that took the worker out of rotation. UTF-8 out, as Kestrel decodes it, passes the same
        // bytes on to the worker (also Kestrel); an ASCII value encodes the same either way.
        RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
        ActivityHeadersPropagator = propagate ? new ReverseProxyPropagator(DistributedContextPropagator.Current) : null,
    };
}
