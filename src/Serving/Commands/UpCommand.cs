using System.CommandLine;
using System.Globalization;
using Serving.Drift.Hosting;
using Serving.Gateway.Hosting;
using Serving.Worker.Hosting;

namespace Serving.Commands;

/// <summary>
/// <c>serving up</c>: the whole system in one process on embedded defaults, the sample models and
/// no Redis: the drift monitor (8090 ingest, 8091 report), a worker on free loopback ports shipping
/// its prediction logs to it, and the gateway in front on Triton's ports (REST 8000, gRPC 8001,
/// metrics 8002; admin 8003 when Serving__Gateway__AdminToken is set).
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var command = new Command("up", "Run the whole system on embedded defaults (sample models, no Redis): gateway on 127.0.0.1:8000 (REST), :8001 (gRPC), :8002 (metrics), worker and drift monitor behind it.");
        var options = new HostCommandOptions();
        options.AddTo(command);
        var driftGrpc = new Option<int?>("--drift-grpc-port") { Description = "The drift monitor's ingest port (default 8090; 0 = any free port)" };
        var driftRest = new Option<int?>("--drift-rest-port") { Description = "The drift monitor's report and metrics port (default 8091; 0 = any free port)" };
        var driftArchive = new Option<string?>("--drift-archive") { Description = "Folder of the prediction-log archive (default ./data/prediction-logs)" };
        command.Add(driftGrpc);
        command.Add(driftRest);
        command.Add(driftArchive);
        command.SetAction((result, cancellationToken) =>
        {
            var args = result.UnmatchedTokens.ToArray();
            if (SettingArguments.FindUnknown(args, "up") is { } unknown)
            {
                Console.Error.WriteLine($"serving up: {unknown}");
                return Task.FromResult(1);
            }

            var bind = result.GetValue(options.Bind) ?? "127.0.0.1";
            var models = result.GetValue(options.Models) ?? ConfiguredRepository() ?? ModelRepositoryLocator.Find();
            if (!Directory.Exists(models))
            {
                // A worker alone waits for its folder to appear (a volume mounted late); the whole system on a folder
                // that isn't there serves nothing, and the name was most likely mistyped.
                Console.Error.WriteLine($"serving up: the model repository '{models}' is not a folder: give --models the folder that holds <model>/<version>/model.onnx (the repository's own is ./models)");
                return Task.FromResult(2);
            }

            var worker = new Dictionary<string, string?>
            {
                ["Serving:Worker:ModelRepository"] = models,
                ["Serving:Worker:BindAddress"] = "127.0.0.1",
                ["Serving:Worker:RestPort"] = "0",
                ["Serving:Worker:GrpcPort"] = "0",
                ["Serving:Worker:MetricsPort"] = "0",
                ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            };
            var gateway = new Dictionary<string, string?>
            {
                ["Serving:Gateway:BindAddress"] = bind,
                ["Serving:Gateway:RestPort"] = Port(result.GetValue(options.RestPort), 8000),
                ["Serving:Gateway:GrpcPort"] = Port(result.GetValue(options.GrpcPort), 8001),
                ["Serving:Gateway:MetricsPort"] = Port(result.GetValue(options.MetricsPort), 8002),
                ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            };
            var drift = DriftCommand.Configuration(
                models, "127.0.0.1", result.GetValue(driftGrpc) ?? 8090, result.GetValue(driftRest) ?? 8091,
                result.GetValue(driftArchive) ?? Path.Combine("data", "prediction-logs"));
            drift["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00";

            return SystemRunner.RunAsync(
            [
                new SystemRunner.Role("drift", _ => DriftHost.Build(args, drift), DriftCommand.Describe, new("--drift-grpc-port or --drift-rest-port", UpHolder)),
                new SystemRunner.Role("worker", started =>
                {
                    worker["Serving:Worker:PredictionLogs:Endpoint"] = DriftCommand.IngestEndpoint(started[0]);
                    return WorkerHost.Build(args, worker);
                }, RoleRunner.WorkerEndpoints, RoleRunner.WorkerPorts),
                new SystemRunner.Role("gateway", started =>
                {
                    var listeners = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<WorkerListeners>(started[1].Services);
                    return GatewayHost.Build(args, gateway, [GatewayWorkerAddress.Loopback(listeners.RestPort, listeners.GrpcPort)]);
                }, GatewayCommand.Describe, new("--rest-port, --grpc-port or --metrics-port (the admin API: --Serving:Gateway:AdminPort=N)", UpHolder)),
            ], cancellationToken);
        });
        return command;
    }

    private const string UpHolder = "Another `serving up`, or another server,";

    private static string Port(int? given, int fallback) => (given ?? fallback).ToString(CultureInfo.InvariantCulture);

    private static string? ConfiguredRepository() =>
        Environment.GetEnvironmentVariable("Serving__Worker__ModelRepository") is { Length: > 0 } configured ? configured : null;
}
