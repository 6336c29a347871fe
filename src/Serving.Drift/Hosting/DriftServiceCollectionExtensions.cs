using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Drift.Alerts;
using Serving.Drift.Archive;
using Serving.Drift.Ingest;
using Serving.Drift.Monitoring;
using Serving.Hosting;
using Serving.Hosting.Configuration;

namespace Serving.Drift.Hosting;

/// <summary>Registers the drift monitor role.</summary>
public static class DriftServiceCollectionExtensions
{
    /// <summary>
    /// Ingest (gRPC), reference profiles, windows and the evaluator, alerts (log + webhook), the
    /// archive and health, with validated <see cref="DriftOptions"/>.
    /// </summary>
    public static IServiceCollection AddServingDrift(this IServiceCollection services)
    {
        services.AddOptions<DriftOptions>().BindSettings(DriftOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DriftOptions>, DriftOptionsValidator>());
        services.AddServingLifecycle();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DriftListeners>();
        services.TryAddSingleton<DriftMetrics>();
        services.TryAddSingleton<ReferenceProfileCatalog>();
        services.TryAddSingleton<DriftMonitor>();
        services.TryAddSingleton(sp => new ArchiveWriter(
            sp.GetRequiredService<IOptions<DriftOptions>>().Value.Archive,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DriftMetrics>(),
            sp.GetRequiredService<ILogger<ArchiveWriter>>()));
        services.TryAddSingleton<WebhookSender>();
        services.TryAddSingleton<AlertPublisher>();
        services.TryAddSingleton<DriftEvaluator>();
        services.TryAddSingleton<IngestPipeline>();
        services.TryAddSingleton<IngestAuthorization>();
        services.TryAddSingleton<ArchiveFailureLog>();
        // Redirects are not followed: a 301/302/303 is followed as a GET without the alert, whose 200 read as delivered.
        // No client timeout: Alerts:WebhookTimeout (up to 10 minutes) bounds each attempt, not HttpClient's own 100 s.
        services.AddHttpClient(WebhookSender.ClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan).ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { AllowAutoRedirect = false });

        // Startup first: the archive folder and the profiles are ready before anything else runs.
        services.AddHostedService<DriftStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<DriftEvaluator>());
        services.AddHostedService<ProfileWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());

        services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = false;
            o.CompressionProviders = Serving.Hosting.Http.WholeMessageCompressionProvider.Defaults();
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<PredictionLogIngestService>, IngestMethod.Provider>());
        services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>().Configure<IOptions<DriftOptions>>((grpc, drift) =>
            grpc.MaxReceiveMessageSize = drift.Value.MaxBatchBytes);
        return services;
    }
}
