using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serving.Hosting.Configuration;

namespace Serving.Gateway.Rollback;

/// <summary>Registers automatic rollback: the outcome windows the forwarder feeds and the monitor that acts on them.</summary>
internal static class RollbackServiceCollectionExtensions
{
    public static IServiceCollection AddGatewayRollback(this IServiceCollection services)
    {
        services.AddOptions<RollbackOptions>().BindSettings(RollbackOptions.Section)
            .Validate(RollbackOptions.IsValid, $"{RollbackOptions.Section}:CheckInterval must be from 00:00:00.010 to 00:01:00")
            .ValidateOnStart();
        services.TryAddSingleton<RollbackOutcomes>();
        services.TryAddSingleton<RollbackMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<RollbackMonitor>());
        return services;
    }
}
