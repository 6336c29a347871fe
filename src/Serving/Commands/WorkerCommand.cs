using System.CommandLine;
using Microsoft.Extensions.Options;
using Serving.Worker.Hosting;

namespace Serving.Commands;

/// <summary><c>serving worker</c>: one worker (REST 8080, gRPC 8081, metrics 8082 by default).</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var command = new Command("worker", "Run a worker: serves the model repository over the Open Inference Protocol.");
        var options = new HostCommandOptions();
        options.AddTo(command);

        // The defaults said are the worker's own (Serving:Worker), so --help can't drift from them.
        var defaults = new Serving.Worker.Configuration.WorkerOptions();
        options.Bind.Description = $"Address to listen on (default {defaults.BindAddress})";
        options.RestPort.Description = $"REST port (default {defaults.RestPort}; 0 = any free port)";
        options.GrpcPort.Description = $"gRPC port (default {defaults.GrpcPort}; 0 = any free port)";
        options.MetricsPort.Description = $"Prometheus metrics port (default {defaults.MetricsPort}; 0 = any free port)";
        command.SetAction((result, cancellationToken) => RoleRunner.RunAsync(
            result, () => WorkerHost.Build([.. result.UnmatchedTokens], options.ToConfiguration(result, []), fallbacks: ModelRepositoryLocator.Fallback("Serving:Worker:ModelRepository")), cancellationToken));
        return command;
    }
}
