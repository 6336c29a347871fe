using System.CommandLine;
using Serving.LoadTests.Generator;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Commands;

/// <summary><c>run</c>: load a target in the closed or open model and print the report.</summary>
internal static class RunCommand
{
    /// <summary>The command.</summary>
    public static Command Create() => Create(out _);

    /// <summary>The command, and how a parse of it becomes the <see cref="LoadProfile"/> it runs (for tests).</summary>
    internal static Command Create(out Func<ParseResult, LoadProfile> profileOf)
    {
        var target = CommonOptions.Target();
        var protocol = new Option<string>("--protocol") { Description = "grpc | rest-json | rest-binary", DefaultValueFactory = _ => "grpc" };
        protocol.AcceptOnlyFromAmong(TargetProtocols.Names);
        var grpcClient = CommonOptions.GrpcClient();
        var stream = new Option<bool>("--stream")
        {
            Description = "gRPC: send every request on ModelStreamInfer streams (Triton's streaming infer, one stream per connection, answers matched by id) instead of a ModelInfer call each",
        };
        var model = CommonOptions.Model();
        var version = CommonOptions.ModelVersion();
        var inputFile = CommonOptions.InputFile();
        var batch = CommonOptions.Batch();
        var mode = new Option<string>("--mode") { Description = "closed (N callers) | open (arrival rate)", DefaultValueFactory = _ => "closed" };
        mode.AcceptOnlyFromAmong("closed", "open");
        var concurrency = new Option<int>("--concurrency") { Description = "Closed model: callers", DefaultValueFactory = _ => 1 };
        var rate = new Option<double?>("--rate") { Description = "Open model: requests per second" };
        var rampTo = new Option<double?>("--ramp-to") { Description = "Open model: rate reached linearly by the end of --duration" };
        var maxInFlight = new Option<int>("--max-in-flight")
        {
            Description = "Open model: cap on outstanding requests; due ones beyond it count as client-saturated (REST: one HTTP/1.1 connection, one open file, each; at most ulimit -n less 256)",
            DefaultValueFactory = _ => 1024,
        };
        var wakeInterval = CommonOptions.Duration("--wake-interval", "Open model: the scheduler wakes at most this often and sends what fell due meanwhile (0: once per request)", LoadProfile.DefaultWakeInterval);
        var connections = new Option<int?>("--connections") { Description = "gRPC channels, each with its own HTTP/2 connections (default: one per 64 callers)" };
        var duration = CommonOptions.Duration("--duration", "Measured window", TimeSpan.FromSeconds(10));
        var warmup = CommonOptions.Duration("--warmup", "Load sent before the window and not recorded", TimeSpan.FromSeconds(2));
        var requests = new Option<long?>("--requests") { Description = "Stop after this many measured requests (if before --duration ends)" };
        var json = CommonOptions.Json();
        var plot = new Option<FileInfo>("--plot") { Description = "Write the latency distribution as a PNG" };
        var quiet = new Option<bool>("--quiet") { Description = "No per-second progress on stderr" };

        var command = new Command("run", "Load a target and print a report (Markdown on stdout, progress on stderr). Exit codes: 0 every call answered; 1 the target did not answer or refused the first request (nothing was sent), or a report file could not be written; "
            + "2 a usage error; 3 some calls failed (the report says which); 130 stopped by Ctrl+C or SIGTERM (the report of the part that ran is printed, marked stopped early; a second signal ends it at once)")
        {
            target, protocol, grpcClient, stream, model, version, inputFile, batch, mode, concurrency, rate, rampTo, maxInFlight, wakeInterval, connections,
            duration, warmup, requests, json, plot, quiet,
        };

        LoadProfile Profile(ParseResult parse)
        {
            var open = parse.GetValue(mode) == "open";
            if (!open && new Option[] { rate, rampTo, maxInFlight, wakeInterval }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } openOnly)
            {
                throw LoadTestException.Usage($"{openOnly.Name} is for the open model: add --mode open, or leave {openOnly.Name} out (the closed model runs --concurrency callers)");
            }

            return new LoadProfile
            {
                Mode = open ? LoadMode.Open : LoadMode.Closed,
                Concurrency = parse.GetValue(concurrency),
                Rate = parse.GetValue(rate) ?? (open ? throw LoadTestException.Usage("--mode open needs --rate") : 0),
                RampTo = parse.GetValue(rampTo),
                MaxInFlight = parse.GetValue(maxInFlight),
                WakeInterval = parse.GetValue(wakeInterval),
                Connections = parse.GetValue(connections),
                Duration = parse.GetValue(duration),
                Warmup = parse.GetValue(warmup),
                MaxRequests = parse.GetValue(requests),
            };
        }

        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(async () =>
        {
            OutputPaths.CheckFile("--json", parse.GetValue(json)?.FullName);
            OutputPaths.CheckFile("--plot", parse.GetValue(plot)?.FullName);
            var loadTarget = CommonOptions.ReadTarget(parse, target, TargetProtocols.Parse(parse.GetValue(protocol)!), model, version, inputFile, batch)
                with { GrpcClient = GrpcClientKinds.Parse(parse.GetValue(grpcClient)!), GrpcStream = parse.GetValue(stream) };
            if (loadTarget.GrpcStream && loadTarget.Protocol != TargetProtocol.Grpc)
            {
                throw LoadTestException.Usage("--stream is gRPC's ModelStreamInfer: use it with --protocol grpc");
            }

            if (loadTarget.GrpcStream && parse.GetResult(grpcClient) is { Implicit: false })
            {
                throw LoadTestException.Usage("--stream carries its streams on Grpc.Net.Client: leave --grpc-client out");
            }

            var profile = Profile(parse);
            var report = await LoadRunner.RunAsync(loadTarget, profile, cancellationToken, parse.GetValue(quiet) ? null : new ConsoleProgress());
            Console.WriteLine(report.ToMarkdown());
            var written = await ReportFiles.TryWriteAsync(
                "--json", parse.GetValue(json)?.FullName, path => ReportFiles.WriteJsonAsync(path, report, ReportJsonContext.Default.LoadReport, CancellationToken.None), Console.Error);
            written &= await ReportFiles.TryWriteAsync(
                "--plot", parse.GetValue(plot)?.FullName, path => Console.Error.WriteLineAsync(LatencyPlot.TryWrite(report, path, out var why) ? $"plot written to {path}" : $"no plot: {why}"), Console.Error);
            return !written ? ExitCodes.Failure
                : report.StoppedEarly is not null ? ExitCodes.Interrupted
                : report.Failed == 0 ? ExitCodes.Ok
                : ExitCodes.CallsFailed;
        }));
        profileOf = Profile;
        return command;
    }
}
