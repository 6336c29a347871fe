using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Hosting.Http;
using Serving.Hosting.Tracing;

namespace Serving.Drift.Hosting;

/// <summary>Builds the drift monitor's web host: the gRPC ingest listener (h2c) and the REST listener.</summary>
public static class DriftHost
{
    /// <summary>
    /// Creates the drift monitor application; <paramref name="overrides"/> (keys such as <c>Serving:Drift:GrpcPort</c>)
    /// win over every other source, <paramref name="fallbacks"/> lose to every other (a command's own defaults);
    /// <paramref name="tracing"/> adds trace exporters (tests use the in-memory one).
    /// </summary>
    public static WebApplication Build(
        string[] args,
        IDictionary<string, string?>? overrides = null,
        Action<OpenTelemetry.Trace.TracerProviderBuilder>? tracing = null,
        IDictionary<string, string?>? fallbacks = null)
    {
        var builder = Serving.Hosting.ServingHostBuilder.Create(args, overrides, fallbacks);
        builder.Services.AddServingDrift();
        builder.Services.AddServingTracing(builder.Configuration, "drift", tracing);
        var listeners = new DriftListeners();
        builder.Services.AddSingleton(listeners);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The validated options: a bad port or address fails here with the validator's message, before Kestrel sees it.
            var options = kestrel.ApplicationServices.GetRequiredService<IOptions<DriftOptions>>().Value;
            kestrel.AddServerHeader = false;
            var limit = ConnectionLimit.Resolve(options.MaxConnections, listeners: 2);
            var log = ConnectionLimit.Logger(kestrel.ApplicationServices);
            var address = IPAddress.Parse(options.BindAddress); // validated: an IP address
            var ingestAddress = options.GrpcBindAddress is { } ingest ? IPAddress.Parse(ingest) : address;
            kestrel.Listen(ingestAddress, options.GrpcPort, l => { l.Protocols = HttpProtocols.Http2; l.UseConnectionLimit(limit, "drift", "grpc", log); listeners.Grpc = l; });
            kestrel.Listen(address, options.RestPort, l => { l.Protocols = HttpProtocols.Http1; l.UseConnectionLimit(limit, "drift", "rest", log); listeners.Rest = l; });
        });

        var app = builder.Build();

        // The ingest listener answers gRPC only.
        app.Use((context, next) =>
            context.Connection.LocalPort == listeners.GrpcPort && listeners.GrpcPort != 0
                && context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true
                ? Results.NotFound().ExecuteAsync(context)
                : next(context));
        app.MapServingDrift();
        return app;
    }
}
