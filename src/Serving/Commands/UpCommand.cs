using System.CommandLine;
using System.Globalization;
using Serving.Drift.Hosting;
using Serving.Gateway.Hosting;
using Serving.Hosting.Tracing;
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
        options.Bind.Description = "The gateway's address (default 127.0.0.1); the worker stays on loopback, the drift monitor too unless Serving:Drift:BindAddress is set";

        // The ports are the gateway's (the worker takes free loopback ports), with the gateway's own defaults.
        var gatewayDefaults = new Serving.Gateway.Configuration.GatewayOptions();
        options.RestPort.Description = $"The gateway's REST port (default {gatewayDefaults.RestPort}; 0 = any free port)";
        options.GrpcPort.Description = $"The gateway's gRPC port (default {gatewayDefaults.GrpcPort}; 0 = any free port)";
        options.MetricsPort.Description = $"The gateway's Prometheus metrics port (default {gatewayDefaults.MetricsPort}; 0 = any free port)";
        var driftGrpc = PortOption.Create("--drift-grpc-port", "The drift monitor's ingest port (default 8090; 0 = any free port)");
        var driftRest = PortOption.Create("--drift-rest-port", "The drift monitor's report and metrics port (default 8091; 0 = any free port)");
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
                return Task.FromResult(ServingCommandLine.UsageError);
            }

            var models = result.GetValue(options.Models)
                ?? Serving.Hosting.ServingHostBuilder.ConfiguredValue(args, "Serving:Worker:ModelRepository")
                ?? ModelRepositoryLocator.Find();
            if (!Directory.Exists(models))
            {
                // A worker alone waits for its folder to appear (a volume mounted late); the whole system on a folder
                // that isn't there serves nothing, and the name was most likely mistyped.
                Console.Error.WriteLine($"serving up: the model repository '{models}' is not a folder: give --models the folder that holds <model>/<version>/model.onnx (the repository's own is ./models)");
                return Task.FromResult(2);
            }

            // The worker is internal: loopback, free ports, whatever the configuration says of a worker's listeners.
            var worker = new Dictionary<string, string?>
            {
                ["Serving:Worker:ModelRepository"] = models,
                ["Serving:Worker:BindAddress"] = "127.0.0.1",
                ["Serving:Worker:RestPort"] = "0",
                ["Serving:Worker:GrpcPort"] = "0",
                ["Serving:Worker:MetricsPort"] = "0",
                ["Serving:Shutdown:StopOnSignal"] = "false",

                // Reached through the gateway alone, which has closed its listeners when the worker stops: a readiness
                // grace period here (the one given to up, for the gateway) only delayed the exit.
                ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            };

            // One tracer for the process: a role's tracer records every role's spans in it (activity listeners are
            // process-wide), so three of them exported each span three times. The gateway's exports them all.
            worker[TracingOptions.Section + ":" + nameof(TracingOptions.OtlpEndpoint)] = "";

            // up's own defaults lose to appsettings.json, the environment and --Serving:… keys; its options win.
            var fallbacks = new Dictionary<string, string?>
            {
                ["Serving:Gateway:BindAddress"] = "127.0.0.1",
                ["Serving:Drift:BindAddress"] = "127.0.0.1",
                ["Serving:Drift:Archive:Directory"] = Path.Combine("data", "prediction-logs"),
                ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
                [TracingOptions.Section + ":" + nameof(TracingOptions.ServiceName)] = "serving-up",
            };
            var gateway = new Dictionary<string, string?>();
            gateway.SetGiven("Serving:Gateway:BindAddress", result.GetValue(options.Bind));
            gateway.SetGiven("Serving:Gateway:RestPort", Port(result.GetValue(options.RestPort)));
            gateway.SetGiven("Serving:Gateway:GrpcPort", Port(result.GetValue(options.GrpcPort)));
            gateway.SetGiven("Serving:Gateway:MetricsPort", Port(result.GetValue(options.MetricsPort)));
            var drift = DriftCommand.Configuration(
                models, null, result.GetValue(driftGrpc), result.GetValue(driftRest), result.GetValue(driftArchive));

            // SIGTERM stops the gateway alone; then SystemRunner stops the worker, whose last prediction logs still reach
            // the drift monitor, and the drift monitor last. Stopping on the signal at once, it refused the worker's
            // final batches.
            drift["Serving:Shutdown:StopOnSignal"] = "false";
            drift["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00";
            drift[TracingOptions.Section + ":" + nameof(TracingOptions.OtlpEndpoint)] = "";

            return SystemRunner.RunAsync(
            [
                new SystemRunner.Role("drift", _ => DriftHost.Build(args, drift, fallbacks: fallbacks), DriftCommand.Describe, new("--drift-grpc-port or --drift-rest-port", UpHolder)),
                new SystemRunner.Role("worker", started =>
                {
                    worker["Serving:Worker:PredictionLogs:Endpoint"] = DriftCommand.IngestEndpoint(started[0]);

                    // The drift monitor's ingest token (Serving:Drift:IngestToken), if it has one, is the worker's to send.
                    worker["Serving:Worker:PredictionLogs:IngestToken"] = DriftCommand.IngestToken(started[0]);
                    return WorkerHost.Build(args, worker, fallbacks: fallbacks);
                }, RoleRunner.WorkerEndpoints, RoleRunner.WorkerPorts),
                new SystemRunner.Role("gateway", started =>
                {
                    var listeners = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<WorkerListeners>(started[1].Services);
                    return GatewayHost.Build(args, gateway, [GatewayWorkerAddress.Loopback(listeners.RestPort, listeners.GrpcPort)], fallbacks: fallbacks);
                }, GatewayCommand.Describe, new("--rest-port, --grpc-port or --metrics-port (the admin API: --Serving:Gateway:AdminPort=N)", UpHolder)),
            ], cancellationToken);
        });
        return command;
    }

    private const string UpHolder = "Another `serving up`, or another server,";

    private static string? Port(int? given) => given?.ToString(CultureInfo.InvariantCulture);
}
