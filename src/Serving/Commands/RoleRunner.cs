using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Worker.Hosting;

namespace Serving.Commands;

/// <summary>Starts a role's host, prints where it listens, and turns start-up failures into one clear message.</summary>
internal static class RoleRunner
{
    /// <summary>The worker's port options (the gateway's add --admin-port, the drift monitor's are its own).</summary>
    public static readonly StartupErrors.PortHint WorkerPorts = new("--rest-port, --grpc-port or --metrics-port");

    public static Task<int> RunAsync(ParseResult result, Func<WebApplication> build, CancellationToken cancellationToken) =>
        RunAsync(result, build, WorkerEndpoints, WorkerPorts, cancellationToken);

    /// <summary>Runs a role whose listeners <paramref name="describe"/> prints (after start, so port 0 shows the bound port).</summary>
    public static async Task<int> RunAsync(
        ParseResult result, Func<WebApplication> build, Func<WebApplication, string> describe, StartupErrors.PortHint ports, CancellationToken cancellationToken)
    {
        if (SettingArguments.FindUnknown(result.UnmatchedTokens, result.CommandResult.Command.Name) is { } unknown)
        {
            await Console.Error.WriteLineAsync($"serving {result.CommandResult.Command.Name}: {unknown}").ConfigureAwait(false);
            return ServingCommandLine.UsageError;
        }

        WebApplication app;
        try
        {
            app = build();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (StartupErrors.Describe(e, ports) is { } message)
        {
            await Console.Error.WriteLineAsync($"serving: {message}").ConfigureAwait(false);
            return 2;
        }

        await using (app.ConfigureAwait(false))
        {
            Console.WriteLine($"serving: {result.CommandResult.Command.Name} ready: {describe(app)}");
            await app.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        }
    }

    public static string WorkerEndpoints(WebApplication app)
    {
        var listeners = app.Services.GetRequiredService<WorkerListeners>();
        return $"REST http://{Host(app)}:{listeners.RestPort}  gRPC {Host(app)}:{listeners.GrpcPort}  metrics http://{Host(app)}:{listeners.MetricsPort}/metrics";
    }

    private static string Host(WebApplication app) =>
        app.Services.GetRequiredService<IOptions<Serving.Worker.Configuration.WorkerOptions>>().Value.BindAddress;
}
