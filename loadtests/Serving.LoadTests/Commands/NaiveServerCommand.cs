using System.CommandLine;
using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.Baselines.Naive;

namespace Serving.LoadTests.Commands;

/// <summary><c>naive-server</c>: ONNX Runtime per request, no batching.</summary>
internal static class NaiveServerCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var modelDir = new Option<DirectoryInfo>("--model-dir") { Description = "Directory of <version>/model.onnx", Required = true };
        var port = CommonOptions.Port(8600);
        var http1Port = CommonOptions.Http1Port();
        var name = new Option<string>("--model-name") { Description = "Served model name (default: the directory's name)" };
        var version = new Option<string>("--model-version") { Description = "Version to load (default: the highest)" };
        var threads = new Option<int?>("--intra-op-threads") { Description = "ORT intra-op threads (default: ORT's own default)" };
        var command = new Command("naive-server", "Hand-written style OIP server: decode, session.Run per request, encode; no batching")
        {
            modelDir, port, http1Port, name, version, threads,
        };
        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(async () =>
        {
            var options = new NaiveServerOptions(
                parse.GetRequiredValue(modelDir).FullName,
                BaselinePorts.From(parse.GetValue(port), parse.GetValue(http1Port)),
                parse.GetValue(name),
                parse.GetValue(version),
                parse.GetValue(threads));
            var server = await NaiveServer.StartAsync(options, cancellationToken);
            return await ServerLifetime.RunUntilCancelledAsync(server, "naive-server", cancellationToken);
        }));
        return command;
    }
}
