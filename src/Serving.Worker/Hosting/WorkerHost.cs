using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Hosting.Health;
using Serving.Hosting.Http;
using Serving.Hosting.Tracing;
using Serving.Protocol.Rest;
using Serving.Worker.Configuration;
using Serving.Worker.Endpoints;

namespace Serving.Worker.Hosting;

/// <summary>Builds the worker's web host: REST, gRPC (h2c) and metrics listeners as configured.</summary>
public static class WorkerHost
{
    /// <summary>
    /// Creates the worker application; <paramref name="overrides"/> win over every other source, <paramref name="fallbacks"/>
    /// lose to every other (a command's own defaults, such as the model repository it found).
    /// </summary>
    public static WebApplication Build(
        string[] args,
        IDictionary<string, string?>? overrides = null,
        Action<OpenTelemetry.Trace.TracerProviderBuilder>? tracing = null,
        IDictionary<string, string?>? fallbacks = null)
    {
        var builder = Serving.Hosting.ServingHostBuilder.Create(args, overrides, fallbacks);
        builder.Services.AddServingWorker();
        builder.Services.AddServingTracing(builder.Configuration, "worker", tracing);
        var listeners = new WorkerListeners();
        builder.Services.AddSingleton(listeners);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The validated options: a bad port or address fails here with the validator's message, before Kestrel sees it.
            var options = kestrel.ApplicationServices.GetRequiredService<IOptions<WorkerOptions>>().Value;
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            var limit = ConnectionLimit.Resolve(options.MaxConnections, listeners: 3);
            var log = ConnectionLimit.Logger(kestrel.ApplicationServices);
            var address = IPAddress.Parse(options.BindAddress); // validated: an IP address
            kestrel.Listen(address, options.RestPort, l => { l.Protocols = HttpProtocols.Http1; l.UseConnectionLimit(limit, "worker", "rest", log); listeners.Rest = l; });
            kestrel.Listen(address, options.GrpcPort, l => { l.Protocols = HttpProtocols.Http2; l.UseConnectionLimit(limit, "worker", "grpc", log); listeners.Grpc = l; });
            kestrel.Listen(address, options.MetricsPort, l => { l.Protocols = HttpProtocols.Http1; l.UseConnectionLimit(limit, "worker", "metrics", log); listeners.Metrics = l; });
        });

        var app = builder.Build();
        app.UseConnectionCloseWhenStopping();
        app.UseNoBodyRateOverHttp2();

        // The metrics listener answers /metrics only.
        app.Use((context, next) =>
            context.Connection.LocalPort == listeners.MetricsPort && listeners.MetricsPort != 0
                && !context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal)
                ? ErrorResults.WriteAsync(context, StatusCodes.Status404NotFound,
                    $"no endpoint at {context.Request.Method} {RestPaths.Printable(context.Request.Path.Value)}: the metrics port answers GET /metrics only")
                : next(context));
        app.UseGrpcPostOnly(InferenceServiceMethodProvider.ServiceName, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection");
        app.Use(new ModelInferRoute(app).InvokeAsync);
        app.UseRouting();
        app.Use(GrpcFrameHeaderCheck.InvokeAsync);
        app.UseRequestDecompression();
        app.UseResponseCompression();
        app.MapServingWorker();
        return app;
    }
}
