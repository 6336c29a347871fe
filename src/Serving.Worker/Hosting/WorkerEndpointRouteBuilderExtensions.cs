using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Serving.Hosting.Metrics;
using Serving.Worker.Endpoints;

namespace Serving.Worker.Hosting;

/// <summary>Maps the worker's endpoints.</summary>
public static class WorkerEndpointRouteBuilderExtensions
{
    /// <summary>Open Inference Protocol REST + gRPC, repository control, grpc.health.v1, reflection and /metrics.</summary>
    public static IEndpointRouteBuilder MapServingWorker(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<GrpcInferenceEndpoint>();
        app.MapGrpcService<Grpc.HealthCheck.HealthServiceImpl>();
        app.MapGrpcService<Grpc.Reflection.ReflectionServiceImpl>();
        app.MapServingMetrics();
        RepositoryEndpoints.Map(app);
        RestEndpoints.Map(app);
        return app;
    }
}
