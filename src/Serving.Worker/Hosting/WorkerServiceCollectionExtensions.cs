using Grpc.HealthCheck;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serving.Hosting;
using Serving.Hosting.Configuration;
using Serving.Worker.Configuration;
using Serving.Worker.Endpoints;
using Serving.Worker.Inference;
using Serving.Worker.Metrics;
using Serving.Worker.Models;
using Serving.Worker.Runtime;
using Serving.Hosting.Http;

namespace Serving.Worker.Hosting;

/// <summary>Registers the worker role.</summary>
public static class WorkerServiceCollectionExtensions
{
    /// <summary>Model repository, ONNX Runtime, inference, gRPC and health services, with validated options.</summary>
    public static IServiceCollection AddServingWorker(this IServiceCollection services)
    {
        services.AddOptions<WorkerOptions>().BindSettings(WorkerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RuntimeOptions>().BindSettings(RuntimeOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RuntimeOptions>, RuntimeOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>());
        services.AddServingLifecycle();

        services.TryAddSingleton<WorkerListeners>();
        services.TryAddSingleton<WorkerMetrics>();
        services.TryAddSingleton(sp => new RequestMemoryBudget(
            sp.GetRequiredService<IOptions<WorkerOptions>>().Value.RequestMemoryBytes, RequestMemoryEstimate.Setting, RequestMemoryEstimate.Advice));
        services.TryAddSingleton<OnnxSessionFactory>();
        services.AddOptions<FeatureStoreOptions>().BindSettings(FeatureStoreOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FeatureStoreOptions>, FeatureStoreOptionsValidator>());
        services.TryAddSingleton<Serving.Worker.Features.RedisConnection>();
        services.TryAddSingleton<Serving.Worker.Features.FeatureStores>();
        services.TryAddSingleton<IModelVersionLoader, ModelVersionLoader>();
        services.TryAddSingleton<ModelRepository>();
        services.TryAddSingleton<ModelResolver>();
        services.TryAddSingleton<InferenceService>();
        Serving.Worker.PredictionLogs.PredictionLogServiceCollectionExtensions.AddPredictionLogs(services);
        services.AddHostedService<ModelRepositoryService>();
        services.AddHostedService<Serving.Worker.Features.RedisStartupProbe>();

        // REST bodies sent with Content-Encoding gzip, deflate or br (Triton's HTTP client compresses this way);
        // the body limit applies to the inflated bytes (RequestBodyReader), so a small bomb can't grow past it; a body cut
        // short is refused (WholeBodyDecompressionProvider), not read as a shorter one.
        services.AddRequestDecompression(Serving.Hosting.Http.WholeBodyDecompressionProvider.Replace);
        services.AddServingResponseCompression();
        services.AddGrpc(o =>
        {
            o.EnableDetailedErrors = false;
            o.CompressionProviders = Serving.Worker.Endpoints.CheckedCompressionProvider.Defaults();
        });
        services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>().Configure<IOptions<WorkerOptions>>((grpc, worker) =>
            grpc.MaxReceiveMessageSize = (int)Math.Min(worker.Value.MaxRequestBytes, int.MaxValue));
        // Reflection lists exactly what the worker serves (the inference service is bound by hand, not by the generated base).
        services.TryAddSingleton(new Grpc.Reflection.ReflectionServiceImpl(
            Serving.Protocol.Inference.GRPCInferenceService.Descriptor,
            Grpc.Health.V1.Health.Descriptor,
            Grpc.Reflection.V1Alpha.ServerReflection.Descriptor));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<
            Grpc.AspNetCore.Server.Model.IServiceMethodProvider<GrpcInferenceEndpoint>, InferenceServiceMethodProvider>());
        services.TryAddSingleton<HealthServiceImpl>();
        services.AddHostedService<GrpcHealthPublisher>();
        services.TryAddSingleton<GrpcInferenceEndpoint>();
        return services;
    }
}
