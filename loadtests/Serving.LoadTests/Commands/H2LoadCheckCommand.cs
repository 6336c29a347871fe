using System.CommandLine;
using Serving.LoadTests.Generator;
using Serving.LoadTests.H2Load;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Commands;

/// <summary><c>h2load-check</c>: h2load as an independent referee for our gRPC figures, same target and shape.</summary>
internal static class H2LoadCheckCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var target = CommonOptions.Target();
        var model = CommonOptions.Model();
        var version = CommonOptions.ModelVersion();
        var inputFile = CommonOptions.InputFile();
        var batch = CommonOptions.Batch();
        var seconds = new Option<int>("--seconds") { Description = "Measured seconds for each generator", DefaultValueFactory = _ => 5 };
        var concurrency = new Option<int>("--concurrency") { Description = "Total concurrent streams", DefaultValueFactory = _ => 64 };
        var connections = new Option<int>("--connections") { Description = "HTTP/2 connections (h2load -c); streams per connection = concurrency / connections", DefaultValueFactory = _ => 4 };
        var clients = new Option<string>("--grpc-client")
        {
            Description = "Our gRPC client(s) to run after h2load, comma-separated: grpc-net, raw-h2",
            DefaultValueFactory = _ => "grpc-net,raw-h2",
        };
        var json = CommonOptions.Json();
        var command = new Command("h2load-check", "Run h2load and our generator against the same gRPC target and print both")
        {
            target, model, version, inputFile, batch, seconds, concurrency, connections, clients, json,
        };
        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(async () =>
        {
            OutputPaths.CheckFile("--json", parse.GetValue(json)?.FullName);
            var h2load = H2LoadRunner.Find();
            if (h2load is null)
            {
                await Console.Error.WriteLineAsync("h2load is not installed; install it with: sudo apt-get install nghttp2-client");
                return 1;
            }

            var loadTarget = CommonOptions.ReadTarget(parse, target, TargetProtocol.Grpc, model, version, inputFile, batch);
            var c = Math.Max(1, Math.Min(parse.GetValue(connections), parse.GetValue(concurrency)));
            var m = Math.Max(1, (int)Math.Ceiling(parse.GetValue(concurrency) / (double)c));
            var duration = Math.Max(1, parse.GetValue(seconds));
            var kinds = parse.GetValue(clients)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(GrpcClientKinds.Parse).Distinct().ToList();
            var comparison = await CompareAsync(h2load, loadTarget, kinds, c, m, duration, cancellationToken);
            Console.WriteLine(comparison.ToMarkdown());
            var written = await ReportFiles.TryWriteAsync(
                "--json", parse.GetValue(json)?.FullName, path => ReportFiles.WriteJsonAsync(path, comparison, ReportJsonContext.Default.H2LoadComparison, CancellationToken.None), Console.Error);
            return written ? 0 : 1;
        }));
        return command;
    }

    private static async Task<H2LoadComparison> CompareAsync(
        string h2load, LoadTarget target, IReadOnlyList<GrpcClientKind> clients, int connections, int streams, int seconds, CancellationToken cancellationToken)
    {
        var payload = await PayloadResolver.ResolveAsync(target, cancellationToken);
        var bodyFile = await GrpcBodyFile.WriteAsync(GrpcPayloadEncoder.Encode(payload), cancellationToken);
        try
        {
            await Console.Error.WriteLineAsync($"h2load -c {connections} -m {streams} -D {seconds} (+1 s warmup) ...");
            var output = await H2LoadRunner.RunAsync(h2load, new Uri(target.Address, "inference.GRPCInferenceService/ModelInfer"), bodyFile, connections, streams, seconds, cancellationToken);
            var h2 = H2LoadOutputParser.Parse(output) ?? throw new LoadTestException($"cannot read h2load's output:\n{output}");
            var profile = new LoadProfile
            {
                Mode = LoadMode.Closed,
                Concurrency = connections * streams,
                Connections = connections,
                Duration = TimeSpan.FromSeconds(seconds),
                Warmup = TimeSpan.FromSeconds(1),
            };
            var ours = new List<LoadReport>();
            foreach (var client in clients)
            {
                await Console.Error.WriteLineAsync($"serving-loadtest ({client.ToName()}) closed model, concurrency {connections * streams} over {connections} connection(s) ...");
                ours.Add(await LoadRunner.RunAsync(target with { GrpcClient = client }, profile, cancellationToken, new ConsoleProgress()));
            }

            return new H2LoadComparison(target.Address.ToString().TrimEnd('/'), target.Model, connections, streams, seconds, h2, ours);
        }
        finally
        {
            File.Delete(bodyFile);
        }
    }
}
