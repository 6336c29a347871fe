using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Serving.Hosting.Health;

namespace Serving.Hosting;

/// <summary>Registration of what every role shares.</summary>
public static class HostingServiceCollectionExtensions
{
    /// <summary>Readiness, graceful shutdown (grace period, then drain bounded by the drain timeout).</summary>
    public static IServiceCollection AddServingLifecycle(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<ReadinessState>();
        services.AddHostedService<GracefulShutdownService>();
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
            host.ShutdownTimeout = shutdown.Value.ReadinessGracePeriod + shutdown.Value.StreamEndLinger + shutdown.Value.DrainTimeout);
        services.AddSingleton<IHostLifetime>(provider => provider.GetRequiredService<IOptions<ShutdownOptions>>().Value.StopOnSignal
            ? ActivatorUtilities.CreateInstance<ConsoleLifetime>(provider)
            : new EmbeddedLifetime());
        return services;
    }
}
