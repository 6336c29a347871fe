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
        command.SetAction((result, cancellationToken) => RoleRunner.RunAsync(
            result, () => WorkerHost.Build([.. result.UnmatchedTokens], options.ToConfiguration(result, []), fallbacks: ModelRepositoryLocator.Fallback("Serving:Worker:ModelRepository")), cancellationToken));
        return command;
    }
}
