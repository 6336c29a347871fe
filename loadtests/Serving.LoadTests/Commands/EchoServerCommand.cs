using System.CommandLine;
using Serving.LoadTests.Baselines.Echo;
using Serving.LoadTests.Baselines.Hosting;

namespace Serving.LoadTests.Commands;

/// <summary><c>echo-server</c>: the RPC-path ceiling baseline.</summary>
internal static class EchoServerCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var port = CommonOptions.Port(8500);
        var http1Port = CommonOptions.Http1Port();
        var features = new Option<int>("--features") { Description = "Advertised input shape [-1, N] (any shape is echoed)", DefaultValueFactory = _ => 256 };
        var command = new Command("echo-server", "OIP server that echoes inputs as outputs: the ceiling of the RPC path (not the product)")
        {
            port, http1Port, features,
        };
        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(async () =>
        {
            var options = new EchoServerOptions(BaselinePorts.From(parse.GetValue(port), parse.GetValue(http1Port)), parse.GetValue(features));
            var server = await EchoServer.StartAsync(options, cancellationToken);
            return await ServerLifetime.RunUntilCancelledAsync(server, "echo-server", cancellationToken);
        }));
        return command;
    }
}
