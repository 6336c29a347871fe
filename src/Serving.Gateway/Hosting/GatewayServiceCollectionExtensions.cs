using Grpc.HealthCheck;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Discovery;
using Serving.Gateway.Endpoints;
using Serving.Gateway.Metrics;
using Serving.Gateway.Rollback;
using Serving.Gateway.Routing;
using Serving.Gateway.Shadow;
using Serving.Gateway.Traffic;
using Serving.Hosting;
using Serving.Hosting.Configuration;
using Serving.Hosting.Tracing;
using Serving.Hosting.Http;

namespace Serving.Gateway.Hosting;

/// <summary>Registers the gateway role.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>Discovery, routing, traffic policies (file or Redis store) with automatic rollback, shadowing, the admin API's services and validated options.</summary>
    public static IServiceCollection AddServingGateway(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().BindSettings(GatewayOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        services.AddServingLifecycle();
        services.AddHttpForwarder();
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<GatewayListeners>();
        services.TryAddSingleton<GatewayMetrics>();
        services.TryAddSingleton(sp => new RequestMemoryBudget(
            sp.GetRequiredService<IOptions<GatewayOptions>>().Value.RequestMemoryBytes,
            "Serving:Gateway:RequestMemoryBytes",
            "split it, or give the gateway more memory"));
        services.TryAddSingleton<RoutingState>();
        services.TryAddSingleton<WorkerSource>();
        services.TryAddSingleton(sp => new WorkerProbe(WorkerProbe.CreateClient(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.ProbeTimeout)));
        services.TryAddSingleton<WorkerDiscoveryService>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerDiscoveryService>());

        services.TryAddSingleton<TrafficPolicies>();
        services.TryAddSingleton<ITrafficPolicyStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return string.IsNullOrWhiteSpace(options.RedisConnectionString)
                ? new FileTrafficPolicyStore(Path.GetFullPath(options.DataDirectory), sp.GetRequiredService<ILogger<FileTrafficPolicyStore>>())
                : new RedisTrafficPolicyStore(options.RedisConnectionString, options.RedisKeyPrefix, sp.GetRequiredService<ILogger<RedisTrafficPolicyStore>>());
        });
        services.TryAddSingleton<TrafficPolicyService>();
        services.AddHostedService(sp => sp.GetRequiredService<TrafficPolicyService>());
        services.AddGatewayRollback();

        // AddServingTracing says whether a tracer exports (before or after this); a host without it has none.
        services.TryAddSingleton(new TracingStatus(Exports: false));
        services.TryAddSingleton<ForwarderClients>();
        services.TryAddSingleton<GatewayTransformer>();
        services.TryAddSingleton<UnaryForwarder>();
        services.TryAddSingleton<ShadowStats>();
        services.TryAddSingleton<ShadowMirror>();
        services.TryAddSingleton<InferenceForwarder>();
        services.TryAddSingleton<RestInferEndpoint>();
        services.TryAddSingleton<GrpcInferEndpoint>();
        services.AddHostedService<AdminAnnouncement>();

        services.AddGrpc(o => o.EnableDetailedErrors = false);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<
            Grpc.AspNetCore.Server.Model.IServiceMethodProvider<GatewayGrpcEndpoint>, GatewayGrpcMethodProvider>());
        services.TryAddSingleton<GatewayTriton>();
        services.TryAddSingleton<GatewayGrpcEndpoint>();
        services.TryAddSingleton<HealthServiceImpl>();
        services.AddHostedService<GatewayGrpcHealthPublisher>();
        return services;
    }
}
