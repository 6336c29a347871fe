using System.CommandLine;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Commands;

/// <summary><c>bench</c>: the worker against its baselines, every server in this process, one at a time; prints the report with the ratios and their targets.</summary>
internal static class BenchCommand
{
    /// <summary>The command.</summary>
    public static Command Create() => Create(out _);

    /// <summary>The command, and how it turns a parse into options (for tests).</summary>
    internal static Command Create(out Func<ParseResult, BenchOptions> optionsOf)
    {
        var duration = CommonOptions.Duration("--duration", "Measured time per cell", TimeSpan.FromSeconds(5));
        var warmup = CommonOptions.Duration("--warmup", "Unrecorded load before each cell", TimeSpan.FromSeconds(2));
        var serverWarmup = CommonOptions.Duration("--server-warmup", "Unrecorded load on each server after it starts (JIT tiering with dynamic PGO needs ~10 s under load here), at concurrency 64", TimeSpan.FromSeconds(10));
        var concurrency = new Option<int[]>("--concurrency")
        {
            Description = "Closed-model concurrencies, comma-separated (ratios compare at 64, or the highest)",
            CustomParser = CliParsers.PositiveInts,
            DefaultValueFactory = _ => [1, 8, 64, 256],
        };
        var models = new Option<string>("--models")
        {
            Description = "Models, comma-separated: names in models/ or loadtests/models/, or folders",
            DefaultValueFactory = _ => "tabular,bench_mlp",
        };
        var servers = new Option<string>("--servers")
        {
            Description = "Servers to load, comma-separated: worker-batching, worker-unbatched, naive, echo (default: all; fewer for a quick look)",
            DefaultValueFactory = _ => string.Join(",", BenchArms.All.Select(a => a.ToName())),
        };
        var grpcClient = new Option<string>("--grpc-client")
        {
            Description = "gRPC client for every cell: raw-h2 (default: the cheaper referee on 2 cores) | grpc-net",
            DefaultValueFactory = _ => "raw-h2",
        };
        grpcClient.AcceptOnlyFromAmong(GrpcClientKinds.Names);
        // Unset, each model keeps its own model.yaml setting (batch 64, delay 0, gap 0, 1 instance, ORT threads 0 where it has none).
        var maxBatch = new Option<int?>("--max-batch-size") { Description = "model.yaml max_batch_size, also raw ORT's max batch, for every model (default: each model's own, else 64)" };
        var delay = new Option<long?>("--max-queue-delay-us") { Description = "model.yaml dynamic_batching.max_queue_delay_us for every model (default: each model's own, else 0, the CPU advice)" };
        var gap = new Option<long?>("--arrival-gap-us")
        {
            Description = "model.yaml dynamic_batching.arrival_gap_us for every model: a partial batch also goes once arrivals stop this long (0 = off; default: each model's own, else 0)",
        };
        var instances = new Option<int?>("--instances") { Description = "model.yaml dynamic_batching.instances for every model (default: each model's own, else 1)" };
        var threads = new Option<int?>("--intra-op-threads") { Description = "model.yaml runtime.intra_op_threads and raw ORT's, for every model (0 = ORT default, at most 1024; default: each model's own, else 0)" };
        var noH2Load = new Option<bool>("--no-h2load") { Description = "Skip h2load in the generator check" };
        var noisyRetries = new Option<int>("--noisy-retries") { Description = "Run a cell again (keeping the quieter attempt) when other processes used more than --noisy-threshold cores during it", DefaultValueFactory = _ => 1 };
        var pairedRounds = new Option<int>("--paired-rounds")
        {
            Description = "Rounds of the paired efficiency check: the batched worker and the echo server side by side, taking turns at the concurrency the ratios compare at (0 skips it)",
            DefaultValueFactory = _ => 2,
        };
        var noisyThreshold = new Option<double>("--noisy-threshold") { Description = "Cores used by other processes above which a cell is noisy", DefaultValueFactory = _ => 0.25 };
        var outFile = new Option<FileInfo>("--out") { Description = "Also write the Markdown report to this file" };
        var json = CommonOptions.Json();
        var plotDir = new Option<DirectoryInfo>("--plot-dir") { Description = "Write PNG plots (throughput and p99 by concurrency, open-model latency) here" };
        var fromJson = new Option<FileInfo>("--from-json") { Description = "Run nothing: re-render the report (ratios recomputed) from a bench's --json file" };
        var command = new Command("bench", "Worker (batching on/off) vs raw ONNX Runtime, echo and naive servers, in one process; prints the ratios with their targets")
        {
            duration, warmup, serverWarmup, concurrency, models, servers, grpcClient, maxBatch, delay, gap, instances, threads, noH2Load, noisyRetries, noisyThreshold, pairedRounds, outFile, json, plotDir, fromJson,
        };
        BenchOptions Options(ParseResult parse) => new()
        {
            Duration = parse.GetValue(duration),
            Warmup = parse.GetValue(warmup),
            ServerWarmup = parse.GetValue(serverWarmup),
            Concurrencies = parse.GetValue(concurrency) ?? [],
            Models = parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Arms = parse.GetValue(servers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(BenchArms.Parse).Distinct().ToList(),
            GrpcClient = GrpcClientKinds.Parse(parse.GetValue(grpcClient)!),
            Batching = new BatchingOverrides(parse.GetValue(maxBatch), parse.GetValue(delay), parse.GetValue(instances), parse.GetValue(threads), parse.GetValue(gap)),
            H2LoadCheck = !parse.GetValue(noH2Load),
            NoisyRetries = parse.GetValue(noisyRetries),
            NoisyThresholdCores = parse.GetValue(noisyThreshold),
            PairedRounds = parse.GetValue(pairedRounds),
            MarkdownPath = parse.GetValue(outFile)?.FullName,
            JsonPath = parse.GetValue(json)?.FullName,
            PlotDirectory = parse.GetValue(plotDir)?.FullName,
        };
        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(async () =>
        {
            var options = Options(parse);
            OutputPaths.CheckFile("--out", options.MarkdownPath);
            OutputPaths.CheckFile("--json", options.JsonPath);
            OutputPaths.CheckFolder("--plot-dir", options.PlotDirectory);
            return parse.GetValue(fromJson) is { } saved
                ? await RenderAsync(await ReadAsync(saved.FullName, cancellationToken), options)
                : await RunAsync(options, cancellationToken);
        }));
        optionsOf = Options;
        return command;
    }

    private static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var root = BenchModel.FindRepositoryRoot(Directory.GetCurrentDirectory());
        var batching = options.Models.Select(m => BenchModel.Locate(m, root).Batching(options.Batching)).ToList();
        var estimate = BenchPlan.Estimate(options, batching);
        var bound = BenchPlan.Bound(options, batching);
        await Console.Error.WriteLineAsync(
            $"bench: {options.Models.Count} model(s) × {options.Arms.Count} server(s) × concurrency {string.Join(",", options.Concurrencies)} + open model, "
            + $"{BenchPlan.Cells(options)} cells of {Format.Fixed(options.Warmup.TotalSeconds, 0)}+{Format.Fixed(options.Duration.TotalSeconds, 0)} s, gRPC client {options.GrpcClient.ToName()}; "
            + $"estimated {estimate:m\\mss\\s} without retries of noisy cells (stops by itself after {bound:m\\mss\\s} at the latest)");

        // The bench ends by itself: each cell is bounded, and this bounds the whole.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(bound);
        var progress = new BenchProgress(BenchPlan.Cells(options), estimate);
        var report = await new BenchRunner(options, progress).RunAsync(root, limit.Token);
        return await RenderAsync(report, options);
    }

    private static async Task<BenchReport> ReadAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(path);
            var report = await System.Text.Json.JsonSerializer.DeserializeAsync(stream, ReportJsonContext.Default.BenchReport, cancellationToken)
                ?? throw LoadTestException.Usage($"'{path}' holds no bench report");

            // Ratios are recomputed so a saved run reads with the current definitions.
            return report with
            {
                Ratios = report.Models.SelectMany(m => BenchRatios.Compute(m, report.ReferenceConcurrency, report.Machine.Cores)).ToList(),
            };
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            throw LoadTestException.Usage($"cannot read the bench report '{path}': {e.Message}", e);
        }
    }

    private static async Task<int> RenderAsync(BenchReport report, BenchOptions options)
    {
        var markdown = BenchReportMarkdown.Render(report);
        Console.WriteLine(markdown);
        var written = await ReportFiles.TryWriteAsync("--out", options.MarkdownPath, path => File.WriteAllTextAsync(path, markdown, CancellationToken.None), Console.Error);
        written &= await ReportFiles.TryWriteAsync(
            "--json", options.JsonPath, path => ReportFiles.WriteJsonAsync(path, report, ReportJsonContext.Default.BenchReport, CancellationToken.None), Console.Error);
#if LOADTEST_PLOT
        written &= await ReportFiles.TryWriteAsync(
            "--plot-dir", options.PlotDirectory, dir => Console.Error.WriteLineAsync($"{BenchPlots.Write(report, dir).Count} plot(s) written to {dir}"), Console.Error);
#else
        if (options.PlotDirectory is { } dir)
        {
            await Console.Error.WriteLineAsync($"no plots in {dir}: this build has no plotting");
        }
#endif

        return !written ? 1 : report.StoppedEarly is null ? 0 : 130;
    }
}
