using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Hosting;
using Serving.Gateway.Routing;
using Serving.Gateway.Hosting;
using Serving.Hosting.Health;

namespace Serving.Gateway.Endpoints;

/// <summary>Mirrors the gateway's readiness into <c>grpc.health.v1</c> for the whole server and the inference service, re-checked every second.</summary>
internal sealed class GatewayGrpcHealthPublisher(HealthServiceImpl health, ReadinessState readiness, RoutingState routing) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        do
        {
            var status = readiness.IsReady && routing.Table.AnyReady
                ? HealthCheckResponse.Types.ServingStatus.Serving
                : HealthCheckResponse.Types.ServingStatus.NotServing;
            health.SetStatus(string.Empty, status);
            health.SetStatus(GatewayGrpcMethodProvider.ServiceName, status);
        }
        while (await Ticks.NextAsync(timer, stoppingToken).ConfigureAwait(false));
    }
}
