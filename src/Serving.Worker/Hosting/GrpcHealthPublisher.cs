using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Hosting;
using Serving.Hosting.Health;

namespace Serving.Worker.Hosting;

/// <summary>Mirrors readiness into <c>grpc.health.v1</c> for the whole server and the inference service.</summary>
internal sealed class GrpcHealthPublisher(HealthServiceImpl health, ReadinessState readiness) : IHostedService
{
    private const string InferenceService = "inference.GRPCInferenceService";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        readiness.Changed += Publish;
        Publish(readiness.IsReady);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        readiness.Changed -= Publish;
        return Task.CompletedTask;
    }

    private void Publish(bool ready)
    {
        var status = ready ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
        health.SetStatus(string.Empty, status);
        health.SetStatus(InferenceService, status);
    }
}
