using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Hosting.Health;
using Serving.Hosting.Http;
using Serving.Hosting.Tracing;

namespace Serving.Gateway.Hosting;

/// <summary>Builds the gateway's web host: REST (HTTP/1.1), gRPC (h2c), metrics, and the admin API when a token is configured.</summary>
public static class GatewayHost
{
    /// <summary>The most bytes of request headers a caller may send (HTTP/1.1 and HTTP/2): 4 KiB under a worker's limit.</summary>
    public const int MaxCallerHeaderBytes = 28 * 1024;

    /// <summary>
    /// The most header fields a caller may send (HTTP/2's pseudo-headers count): 12 under a worker's limit (Kestrel's
    /// default, 100), room for what the gateway adds: x-serving-version, -arm and -model, te, traceparent and tracestate,
    /// Expect, Content-Length or Transfer-Encoding, and HTTP/2's four pseudo-headers in place of Host.
    /// </summary>
    public const int MaxCallerHeaderCount = 88;

    /// <summary>Creates the gateway application; <paramref name="overrides"/> win over every other source.</summary>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null) => Build(args, overrides, null);

    /// <summary>
    /// Creates the gateway application in front of <paramref name="workers"/> (e.g. the workers
    /// <c>serving up</c> embeds), which replace any configured ones; <paramref name="overrides"/> win over every other source.
    /// </summary>
    /// <param name="args">Command-line arguments (configuration keys such as <c>--Serving:Gateway:RestPort=9000</c>).</param>
    /// <param name="overrides">Configuration keys that win over every other source.</param>
    /// <param name="workers">The workers to forward to; null keeps the configured ones.</param>
    /// <param name="tracing">Adds exporters to the tracer (tests use the in-memory one); traces are made only with an exporter.</param>
    /// <param name="fallbacks">Configuration keys that lose to every other source (a command's own defaults).</param>
    public static WebApplication Build(
        string[] args,
        IDictionary<string, string?>? overrides,
        IReadOnlyList<GatewayWorkerAddress>? workers,
        Action<OpenTelemetry.Trace.TracerProviderBuilder>? tracing = null,
        IDictionary<string, string?>? fallbacks = null)
    {
        var builder = Serving.Hosting.ServingHostBuilder.Create(args, overrides, fallbacks);

        // No per-request log lines on the hot path: YARP logs every forward at Information, and warns on
        // every gRPC call that the body size limit can't be lifted (the peek has started the body, so
        // Kestrel's limit stays, as intended). Forwarding failures are logged by InferenceForwarder.
        builder.Logging.AddFilter("Yarp", LogLevel.Error);
        builder.Services.AddServingGateway();
        builder.Services.AddServingTracing(builder.Configuration, "gateway", tracing);
        if (workers is not null)
        {
            // Replace, don't merge: configuration binding would keep a longer configured list's tail.
            builder.Services.PostConfigure<GatewayOptions>(o => o.Workers =
                [.. workers.Select(w => new WorkerAddressOptions { Rest = w.Rest.GetLeftPart(UriPartial.Authority), Grpc = w.Grpc.GetLeftPart(UriPartial.Authority) })]);
        }

        var listeners = new GatewayListeners();
        builder.Services.AddSingleton(listeners);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The validated options: a bad port or address fails here with the validator's message, before Kestrel sees it.
            var options = kestrel.ApplicationServices.GetRequiredService<IOptions<GatewayOptions>>().Value;
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            var limit = ConnectionLimit.Resolve(options.MaxConnections, listeners: string.IsNullOrEmpty(options.AdminToken) ? 3 : 4);
            var log = ConnectionLimit.Logger(kestrel.ApplicationServices);

            // Below the workers' own limit (Kestrel's default, 32 KiB) by room for what the gateway adds (x-serving-*,
            // te, traceparent): headers that fit the front door must fit the worker too. At the same limit, a caller's
            // headers of about 32 KiB were refused by the worker over HTTP/2, which counted as a worker failure and took
            // it out of rotation; now they are 431 here.
            kestrel.Limits.MaxRequestHeadersTotalSize = MaxCallerHeaderBytes;
            // The same for their number: at Kestrel's 100 here too, a caller's 97 headers passed the front door and the
            // worker refused them with what the gateway added (431, which a gRPC call counted UNAVAILABLE against its
            // version, and automatic rollback as a failure: any caller could roll a canary back).
            kestrel.Limits.MaxRequestHeaderCount = MaxCallerHeaderCount;
            var address = IPAddress.TryParse(options.BindAddress, out var parsed) ? parsed : IPAddress.Any;
            kestrel.Listen(address, options.RestPort, l => { l.Protocols = HttpProtocols.Http1; l.UseConnectionLimit(limit, "gateway", "rest", log); listeners.Rest = l; });
            kestrel.Listen(address, options.GrpcPort, l => { l.Protocols = HttpProtocols.Http2; l.UseConnectionLimit(limit, "gateway", "grpc", log); listeners.Grpc = l; });
            kestrel.Listen(address, options.MetricsPort, l => { l.Protocols = HttpProtocols.Http1; l.UseConnectionLimit(limit, "gateway", "metrics", log); listeners.Metrics = l; });
            if (!string.IsNullOrEmpty(options.AdminToken))
            {
                var admin = IPAddress.TryParse(options.AdminBindAddress, out var a) ? a : IPAddress.Loopback;
                kestrel.Listen(admin, options.AdminPort, l => { l.Protocols = HttpProtocols.Http1; l.UseConnectionLimit(limit, "gateway", "admin", log); listeners.Admin = l; });
            }
        });

        var app = builder.Build();
        app.UseConnectionCloseWhenStopping();
        app.UseGrpcPostOnly(Endpoints.GatewayGrpcMethodProvider.ServiceName, "grpc.health.v1.Health");
        app.UseServingGateway();
        app.MapServingGateway();
        return app;
    }
}
