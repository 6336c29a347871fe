using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Serving.Hosting.Configuration;
using Serving.Hosting.Health;
using Serving.Hosting.Metrics;

namespace Serving.Hosting;

/// <summary>Registration of what every role shares.</summary>
public static class HostingServiceCollectionExtensions
{
    /// <summary>
    /// Readiness, graceful shutdown (grace period, then drain bounded by the drain timeout), and the check at start that
    /// every <c>Serving:…</c> setting given is one the role reads (<see cref="UnknownSettings"/>).
    /// </summary>
    public static IServiceCollection AddServingLifecycle(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>().BindSettings(ShutdownOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Every role's host reads this key itself (ServingHostBuilder), with no options type.
        services.AddSettingsSection(new SettingsSection(MeterPublishing.PerRequestMetersKey, typeof(bool)));
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
