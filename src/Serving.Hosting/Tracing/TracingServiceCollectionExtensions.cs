using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serving.Hosting.Configuration;
using Serving.Hosting.Logging;

namespace Serving.Hosting.Tracing;

/// <summary>Registers OpenTelemetry tracing for a role: ASP.NET Core and HttpClient spans plus the project's own sources, W3C traceparent propagation.</summary>
public static class TracingServiceCollectionExtensions
{
    /// <summary>
    /// Traces with OTLP export when <c>Serving:Tracing:OtlpEndpoint</c> is set; <paramref name="configure"/> adds exporters (tests use the in-memory one).
    /// Also registers <see cref="LoggingServiceCollectionExtensions.AddServingLogging"/>: log lines carry the trace ids these spans have.
    /// </summary>
    public static IServiceCollection AddServingTracing(
        this IServiceCollection services, IConfiguration configuration, string role, Action<TracerProviderBuilder>? configure = null)
    {
        // Every role's host calls this; its logs are correlated with the same traces, with or without an exporter.
        services.AddServingLogging();
        var options = configuration.GetSection(TracingOptions.Section).Get<TracingOptions>() ?? new TracingOptions();
        services.AddOptions<TracingOptions>().BindSettings(TracingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TracingOptions>, TracingOptionsValidator>());
        var exports = !string.IsNullOrWhiteSpace(options.OtlpEndpoint) || configure is not null;
        services.Replace(ServiceDescriptor.Singleton(new TracingStatus(exports)));
        if (!exports)
        {
            // Nothing would export the spans: don't pay for creating them on the hot path.
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(options.ServiceName ?? "serving-" + role))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(ServingActivitySources.Worker.Name, ServingActivitySources.Gateway.Name, ServingActivitySources.Drift.Name, "Yarp.ReverseProxy")
                    // Scrapes and health checks (Kubernetes' probes, the gateway's) are traced by nobody: they are noise.
                    .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                        !context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal)
                        && !context.Request.Path.StartsWithSegments("/v2/health", StringComparison.Ordinal))
                    .AddHttpClientInstrumentation();
                // An endpoint that is no URL fails the start (TracingOptionsValidator) before the exporter would be built.
                if (TracingOptions.TryEndpoint(options.OtlpEndpoint) is { } endpoint)
                {
                    tracing.AddOtlpExporter(o => o.Endpoint = endpoint);
                }

                configure?.Invoke(tracing);
            });

        // After the role has stopped, before the provider's disposal gives its exporter 5 s and no more.
        services.AddHostedService<TracingShutdownService>();
        return services;
    }
}
