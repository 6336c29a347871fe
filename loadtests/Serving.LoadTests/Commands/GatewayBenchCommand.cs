using System.CommandLine;
using Serving.Gateway.Configuration;
using Serving.LoadTests.Bench;
using Serving.LoadTests.GatewayBench;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Commands;

/// <summary><c>gateway-bench</c>: the worker direct vs the Serving gateway vs nginx in front of it, gRPC and REST, concurrency 1 and 64, in one run; prints the issue's targets with PASS/MISS.</summary>
internal static class GatewayBenchCommand
{
    /// <summary>The command.</summary>
    public static Command Create() => Create(out _);

    /// <summary>The command, and how a parse of it becomes <see cref="GatewayBenchOptions"/> (for tests).</summary>
    internal static Command Create(out Func<ParseResult, GatewayBenchOptions> optionsOf)
    {
        var defaults = new GatewayBenchOptions();
        var duration = CommonOptions.Duration("--duration", "Measured time per cell", TimeSpan.FromSeconds(10));
        var warmup = CommonOptions.Duration("--warmup", "Unrecorded load before each cell", TimeSpan.FromSeconds(1));
        var targetWarmup = CommonOptions.Duration("--target-warmup", "Unrecorded load on each target and protocol before the first cell, at concurrency 64", TimeSpan.FromSeconds(5));
        var model = new Option<string>("--model") { Description = "Model: a name in models/ or loadtests/models/, or a folder", DefaultValueFactory = _ => "tabular" };
        var targets = new Option<string>("--targets")
        {
            Description = "Targets, comma-separated: direct, gateway, nginx (default: all)",
            DefaultValueFactory = _ => string.Join(",", ProxyTargets.All.Select(t => t.ToName())),
        };
        var protocols = new Option<string>("--protocols") { Description = "Protocols, comma-separated: grpc, rest-json", DefaultValueFactory = _ => "grpc,rest-json" };
        var grpcClient = new Option<string>("--grpc-client")
        {
            Description = "gRPC client: raw-h2 (default: the cheaper one on 2 shared cores) | grpc-net",
            DefaultValueFactory = _ => "raw-h2",
        };
        grpcClient.AcceptOnlyFromAmong(GrpcClientKinds.Names);
        var restToWorkers = new Option<string>("--rest-to-workers")
        {
            Description = "The gateway's REST hop to the worker: auto | http2 | http11 (default: the gateway's own, auto)",
        };
        restToWorkers.AcceptOnlyFromAmong("auto", "http2", "http11");
        var nginxPath = new Option<string>("--nginx") { Description = "nginx executable (default: nginx on PATH, or in /usr/sbin, /usr/local/sbin)" };
        var nginxWorkers = new Option<string>("--nginx-workers")
        {
            Description = "nginx worker_processes: auto (one per core, as nginx advises and as many cores as the gateway may use) or a number",
            DefaultValueFactory = _ => "auto",
        };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Rounds of each (protocol, concurrency) group, the targets' order reversed every other round (direct, gateway, nginx, then nginx, gateway, direct, …); each figure is the median of its per-round figures",
            DefaultValueFactory = _ => defaults.Rounds,
        };
        var outFile = new Option<FileInfo>("--out") { Description = "Also write the Markdown report to this file" };
        var json = CommonOptions.Json();
        var command = new Command("gateway-bench", "The worker direct vs the Serving gateway vs nginx in front of it (gRPC and REST, concurrency 1 and 64) in one run; prints the ratios with their targets")
        {
            duration, warmup, targetWarmup, model, targets, protocols, grpcClient, restToWorkers, nginxPath, nginxWorkers, rounds, outFile, json,
        };
        GatewayBenchOptions Options(ParseResult parse) => new()
        {
            Duration = parse.GetValue(duration),
            Warmup = parse.GetValue(warmup),
            TargetWarmup = parse.GetValue(targetWarmup),
            Model = parse.GetValue(model)!,
            Targets = [.. List(parse.GetValue(targets)).Select(ProxyTargets.Parse).Distinct()],
            Protocols = [.. List(parse.GetValue(protocols)).Select(TargetProtocols.Parse).Distinct()],
            GrpcClient = GrpcClientKinds.Parse(parse.GetValue(grpcClient)!),
            RestToWorkers = parse.GetValue(restToWorkers) is { } hop ? Enum.Parse<WorkerRestProtocol>(hop, ignoreCase: true) : null,
            NginxPath = parse.GetValue(nginxPath),
            NginxWorkers = parse.GetValue(nginxWorkers)!,
            Rounds = parse.GetValue(rounds),
            MarkdownPath = parse.GetValue(outFile)?.FullName,
            JsonPath = parse.GetValue(json)?.FullName,
        };
        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(() => RunAsync(Options(parse), cancellationToken)));
        optionsOf = Options;
        return command;
    }

    /// <summary>Runs the bench, prints the report on stdout and writes the files asked for; 130 when it stopped early.</summary>
    internal static async Task<int> RunAsync(GatewayBenchOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        OutputPaths.CheckFile("--out", options.MarkdownPath);
        OutputPaths.CheckFile("--json", options.JsonPath);
        var root = BenchModel.FindRepositoryRoot(Directory.GetCurrentDirectory());
        var estimate = GatewayBenchPlan.Estimate(options);
        var bound = GatewayBenchPlan.Bound(options);
        await Console.Error.WriteLineAsync(
            $"gateway-bench: {string.Join(", ", options.Targets.Select(t => t.ToName()))} × {string.Join(", ", options.Protocols.Select(p => p.ToName()))} × concurrency "
            + $"{string.Join(",", GatewayBenchOptions.Concurrencies)} × {options.Rounds} round(s): {GatewayBenchPlan.Cells(options)} cells of {GatewayBenchMarkdown.Seconds(options.Warmup.TotalSeconds)}+{GatewayBenchMarkdown.Seconds(options.Duration.TotalSeconds)} s; "
            + $"estimated {estimate:m\\mss\\s} (stops by itself after {bound:m\\mss\\s} at the latest)");

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(bound);
        var report = await new GatewayBenchRunner(options, new GatewayBenchProgress(GatewayBenchPlan.Cells(options), estimate, options.Rounds)).RunAsync(root, limit.Token);
        var markdown = GatewayBenchMarkdown.Render(report);
        Console.WriteLine(markdown);
        var written = await ReportFiles.TryWriteAsync("--out", options.MarkdownPath, path => File.WriteAllTextAsync(path, markdown, CancellationToken.None), Console.Error);
        written &= await ReportFiles.TryWriteAsync("--json", options.JsonPath, path => ReportFiles.WriteJsonAsync(path, report, GatewayBenchJsonContext.Default.GatewayBenchReport, CancellationToken.None), Console.Error);
        return !written ? 1 : report.StoppedEarly is null ? 0 : 130;
    }

    private static string[] List(string? text) => (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
