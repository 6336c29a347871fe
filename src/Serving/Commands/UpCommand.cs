using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Serving.Drift.Hosting;
using Serving.Worker.Hosting;

namespace Serving.Commands;

/// <summary>
/// <c>serving up</c>: the whole system in one process on embedded defaults, the sample models and
/// no Redis: the drift monitor (8090 ingest, 8091 report), then the worker on the front-door
/// ports (REST 8000, gRPC 8001, metrics 8002) shipping its prediction logs to it.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var command = new Command("up", "Run the whole system on embedded defaults (sample models, no Redis) on 127.0.0.1:8000 (REST), :8001 (gRPC), :8002 (metrics).");
        var options = new HostCommandOptions();
        options.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            var args = result.UnmatchedTokens.ToArray();
            var worker = options.ToConfiguration(result, new Dictionary<string, string?>
            {
                ["Serving:Worker:BindAddress"] = "127.0.0.1",
                ["Serving:Worker:RestPort"] = "8000",
                ["Serving:Worker:GrpcPort"] = "8001",
                ["Serving:Worker:MetricsPort"] = "8002",
                ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            });
            var drift = DriftCommand.Configuration(
                worker.GetValueOrDefault("Serving:Worker:ModelRepository"), "127.0.0.1", 8090, 8091, Path.Combine("data", "prediction-logs"));
            drift["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00";

            return SystemRunner.RunAsync(
            [
                new SystemRunner.Role("drift", _ => DriftHost.Build(args, drift), DriftCommand.Describe),
                new SystemRunner.Role("worker", started =>
                {
                    worker["Serving:Worker:PredictionLogs:Endpoint"] = DriftCommand.IngestEndpoint(started[0]);
                    return WorkerHost.Build(args, worker);
                }, RoleRunner.WorkerEndpoints),
            ], cancellationToken);
        });
        return command;
    }
}
