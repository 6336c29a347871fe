using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serving.Hosting.Configuration;
using Serving.Worker.Configuration;
using Serving.Worker.Models;

namespace Serving.Worker.PredictionLogs;

/// <summary>Registers the prediction-log path: sampling, the bounded queue and the stream to the drift monitor.</summary>
public static class PredictionLogServiceCollectionExtensions
{
    /// <summary>
    /// Prediction logs with validated <see cref="PredictionLogOptions"/>: when <c>Endpoint</c> is set the
    /// predict path records into a queue that a background sender streams to the drift monitor;
    /// when it is empty the sink is a no-op.
    /// </summary>
    public static IServiceCollection AddPredictionLogs(this IServiceCollection services)
    {
        services.AddOptions<PredictionLogOptions>().BindSettings(PredictionLogOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PredictionLogOptions>, PredictionLogOptionsValidator>());
        services.TryAddSingleton<PredictionLogStats>();
        services.TryAddSingleton(sp => RecordSchemaCache.ForRepository(sp.GetRequiredService<ModelRepository>(), sp.GetRequiredService<IOptions<WorkerOptions>>()));
        services.TryAddSingleton<PredictionLogShipper>();
        services.TryAddSingleton<IPredictionLogTransport, GrpcPredictionLogTransport>();
        services.TryAddSingleton<IPredictionLogSink>(sp => sp.GetRequiredService<IOptions<PredictionLogOptions>>().Value.IsEnabled
            ? sp.GetRequiredService<PredictionLogShipper>()
            : new NoPredictionLogs());
        services.AddHostedService<PredictionLogSender>();
        return services;
    }
}
