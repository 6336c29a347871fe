using System.CommandLine;
using Serving.Worker.Hosting;

namespace Serving.Commands;

/// <summary>
/// <c>serving up</c>: the whole system in one process on embedded defaults, the sample models and
/// no Redis. The front door uses Triton's ports: REST 8000, gRPC 8001, metrics 8002.
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
            var defaults = new Dictionary<string, string?>
            {
                ["Serving:Worker:BindAddress"] = "127.0.0.1",
                ["Serving:Worker:RestPort"] = "8000",
                ["Serving:Worker:GrpcPort"] = "8001",
                ["Serving:Worker:MetricsPort"] = "8002",
                ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            };
            return RoleRunner.RunAsync(result, () => WorkerHost.Build([.. result.UnmatchedTokens], options.ToConfiguration(result, defaults)), cancellationToken);
        });
        return command;
    }
}
