using System.CommandLine;
using Serving.LoadTests.Bench;
using Serving.LoadTests.DriftBench;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Commands;

/// <summary><c>drift-bench</c>: the worker's throughput with prediction logging on vs off, and the drift sidecar's ingest rate; prints both with their targets.</summary>
internal static class DriftBenchCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var defaults = new DriftBenchOptions();
        var model = new Option<string>("--model") { Description = "Model (a name in models/ or loadtests/models/, or a folder); its served version needs a reference.json", DefaultValueFactory = _ => defaults.Model };
        var concurrency = new Option<int>("--concurrency") { Description = "Closed-model callers on the worker", DefaultValueFactory = _ => defaults.Concurrency };
        var duration = CommonOptions.Duration("--duration", "Measured time per worker cell", defaults.Duration);
        var requests = new Option<long?>("--requests") { Description = "End a worker cell after this many measured requests, if before --duration" };
        var warmup = CommonOptions.Duration("--warmup", "Unrecorded load before each worker cell", defaults.Warmup);
        var serverWarmup = CommonOptions.Duration("--server-warmup", "Unrecorded load on each worker after it starts", defaults.ServerWarmup);
        var rounds = new Option<int>("--rounds") { Description = "Worker cells per arm, in ABBA order (off, on, on, off, …)", DefaultValueFactory = _ => defaults.Rounds };
        var grpcClient = new Option<string>("--grpc-client") { Description = "gRPC client of the worker cells: raw-h2 | grpc-net", DefaultValueFactory = _ => "raw-h2" };
        grpcClient.AcceptOnlyFromAmong(GrpcClientKinds.Names);
        var ingestDuration = CommonOptions.Duration("--ingest-duration", "Measured time of each ingest run", defaults.IngestDuration);
        var ingestWarmup = CommonOptions.Duration("--ingest-warmup", "Unrecorded ingest before the measured window", defaults.IngestWarmup);
        var ingestRecords = new Option<long?>("--ingest-records") { Description = "End an ingest run after this many measured records, if before --ingest-duration" };
        var batchSize = new Option<int>("--batch-size") { Description = "Records per ingest batch (the worker's BatchSize)", DefaultValueFactory = _ => defaults.BatchSize };
        var unacked = new Option<int>("--max-unacked") { Description = "Batches in flight per stream (the worker's MaxUnackedBatches)", DefaultValueFactory = _ => defaults.MaxUnackedBatches };
        var streams = new Option<int>("--streams") { Description = "Concurrent ingest streams (one per worker)", DefaultValueFactory = _ => defaults.Streams };
        var fsyncOnly = new Option<bool>("--fsync-only") { Description = "Skip the ingest run with Archive:FlushToDisk=false" };
        var only = new Option<string>("--only") { Description = "worker | ingest (default: both)" };
        only.AcceptOnlyFromAmong("worker", "ingest");
        var outFile = new Option<FileInfo>("--out") { Description = "Also write the Markdown report to this file" };
        var json = CommonOptions.Json();
        var command = new Command("drift-bench", "Worker throughput with prediction logging at 100% to an in-process drift sidecar vs off, and the sidecar's ingest rate with the archive on; prints both with their targets")
        {
            model, concurrency, duration, requests, warmup, serverWarmup, rounds, grpcClient, ingestDuration, ingestWarmup, ingestRecords, batchSize, unacked, streams, fsyncOnly, only, outFile, json,
        };
        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(async () =>
        {
            var part = parse.GetValue(only);
            var options = new DriftBenchOptions
            {
                Model = parse.GetValue(model)!,
                Concurrency = parse.GetValue(concurrency),
                Duration = parse.GetValue(duration),
                CellRequests = parse.GetValue(requests),
                Warmup = parse.GetValue(warmup),
                ServerWarmup = parse.GetValue(serverWarmup),
                Rounds = parse.GetValue(rounds),
                GrpcClient = GrpcClientKinds.Parse(parse.GetValue(grpcClient)!),
                IngestDuration = parse.GetValue(ingestDuration),
                IngestWarmup = parse.GetValue(ingestWarmup),
                IngestRecords = parse.GetValue(ingestRecords),
                BatchSize = parse.GetValue(batchSize),
                MaxUnackedBatches = parse.GetValue(unacked),
                Streams = parse.GetValue(streams),
                OsFlushRun = !parse.GetValue(fsyncOnly),
                RunWorker = part is null or "worker",
                RunIngest = part is null or "ingest",
                MarkdownPath = parse.GetValue(outFile)?.FullName,
                JsonPath = parse.GetValue(json)?.FullName,
            };
            return await RunAsync(options, cancellationToken);
        }));
        return command;
    }

    private static async Task<int> RunAsync(DriftBenchOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        OutputPaths.CheckFile("--out", options.MarkdownPath);
        OutputPaths.CheckFile("--json", options.JsonPath);
        var root = BenchModel.FindRepositoryRoot(Directory.GetCurrentDirectory());
        await Console.Error.WriteLineAsync(
            $"drift-bench: {(options.RunWorker ? $"worker with logging off/on × {options.Rounds} round(s) at concurrency {options.Concurrency}" : "no worker cells")}; "
            + $"{(options.RunIngest ? $"sidecar ingest {(options.OsFlushRun ? "with fsync and without" : "with fsync")}" : "no ingest runs")}; "
            + $"estimated {options.Estimate:m\\mss\\s} (stops by itself after {options.Bound:m\\mss\\s} at the latest)");

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.Bound);
        var report = await new DriftBenchRunner(options, new DriftBenchProgress(options.Estimate)).RunAsync(root, limit.Token);
        var markdown = DriftBenchMarkdown.Render(report);
        Console.WriteLine(markdown);
        var written = await ReportFiles.TryWriteAsync("--out", options.MarkdownPath, path => File.WriteAllTextAsync(path, markdown, CancellationToken.None), Console.Error);
        written &= await ReportFiles.TryWriteAsync("--json", options.JsonPath, path => ReportFiles.WriteJsonAsync(path, report, DriftBenchJsonContext.Default.DriftBenchReport, CancellationToken.None), Console.Error);
        return !written ? 1 : report.StoppedEarly is null ? 0 : 130;
    }
}
