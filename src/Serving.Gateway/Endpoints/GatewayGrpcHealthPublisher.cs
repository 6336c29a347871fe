using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Hosting;
using Serving.Gateway.Routing;
using Serving.Gateway.Hosting;
using Serving.Hosting.Health;

namespace Serving.Gateway.Endpoints;

/// <summary>
/// Mirrors the gateway's readiness into <c>grpc.health.v1</c> for the whole server and the inference service: at once
/// when readiness changes (shutdown begins), and every second for whether any version has a ready worker.
/// </summary>
internal sealed class GatewayGrpcHealthPublisher(HealthServiceImpl health, ReadinessState readiness, RoutingState routing) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Without it, gRPC health said SERVING for up to a second into the shutdown grace, when REST readiness was 503.
        readiness.Changed += Publish;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            do
            {
                Publish(readiness.IsReady);
            }
            while (await Ticks.NextAsync(timer, stoppingToken).ConfigureAwait(false));
        }
        finally
        {
            readiness.Changed -= Publish;
        }
    }

    private void Publish(bool ready)
    {
        var status = ready && routing.Table.AnyReady
            ? HealthCheckResponse.Types.ServingStatus.Serving
            : HealthCheckResponse.Types.ServingStatus.NotServing;
        health.SetStatus(string.Empty, status);
        health.SetStatus(GatewayGrpcMethodProvider.ServiceName, status);
    }
}
