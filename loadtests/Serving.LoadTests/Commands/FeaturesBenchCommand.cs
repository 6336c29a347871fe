using System.CommandLine;
using Serving.LoadTests.Bench;
using Serving.LoadTests.FeatureBench;
using Serving.LoadTests.Reporting;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Commands;

/// <summary>
/// <c>features-bench</c>: a real redis-server and the worker in this process; requests by entity id vs the same
/// values inline at concurrency 64; prints the latency the lookup adds and Redis round trips per batch, with targets.
/// </summary>
internal static class FeaturesBenchCommand
{
    /// <summary>The command.</summary>
    public static Command Create() => Create(out _);

    /// <summary>The command, and how a parse of it becomes <see cref="FeatureBenchOptions"/> (tests check the defaults validate).</summary>
    internal static Command Create(out Func<ParseResult, FeatureBenchOptions> optionsOf)
    {
        var duration = CommonOptions.Duration("--duration", "Measured time per arm", TimeSpan.FromSeconds(10));
        var warmup = CommonOptions.Duration("--warmup", "Unrecorded load before each arm", TimeSpan.FromSeconds(2));
        var serverWarmup = CommonOptions.Duration("--server-warmup", "Unrecorded load on each worker after it starts, half in each form (JIT tiering)", TimeSpan.FromSeconds(10));
        var concurrency = new Option<int>("--concurrency") { Description = "Closed-model callers", DefaultValueFactory = _ => 64 };
        var model = new Option<string>("--model") { Description = "Model whose model.yaml declares a feature lookup: a name in models/, or a folder", DefaultValueFactory = _ => "tabular" };
        var nearCache = new Option<string>("--near-cache")
        {
            Description = "Near-cache settings to measure, one worker each: off (every entity from Redis: what the lookup costs), on (the model's TTL), or off,on",
            DefaultValueFactory = _ => "off,on",
        };
        var layout = new Option<string>("--layout")
        {
            Description = "Redis layouts to measure (features.layout), one worker per layout and near-cache setting, Redis reloaded in each: hash, packed, or hash,packed",
            DefaultValueFactory = _ => "hash,packed",
        };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Rounds of the two arms per worker, ABBA order (inline, lookup, lookup, inline, …); the added p50/p99 is the median over the rounds",
            DefaultValueFactory = _ => 2,
        };
        var grpcClient = new Option<string>("--grpc-client") { Description = "gRPC client: raw-h2 (default, cheaper on 2 cores) | grpc-net", DefaultValueFactory = _ => "raw-h2" };
        grpcClient.AcceptOnlyFromAmong(GrpcClientKinds.Names);
        var delay = new Option<long>("--max-queue-delay-us") { Description = "model.yaml dynamic_batching.max_queue_delay_us", DefaultValueFactory = _ => 0 };
        var instances = new Option<int>("--instances") { Description = "model.yaml dynamic_batching.instances", DefaultValueFactory = _ => 1 };
        var storeTimeout = new Option<TimeSpan?>("--store-timeout")
        {
            Description = "The worker's per-call Redis time limit (Serving:Features:Timeout; default: the worker's, 100ms). Past it a batch's rows get defaults (fail_open), which the report counts",
            CustomParser = r => CliParsers.Duration(r),
        };
        var outFile = new Option<FileInfo>("--out") { Description = "Also write the Markdown report to this file" };
        var json = CommonOptions.Json();
        var command = new Command("features-bench", "Feature store: requests by entity id (Redis lookup) vs the same values inline, at concurrency 64; prints the p50/p99 the lookup adds and Redis round trips per batch, with targets")
        {
            duration, warmup, serverWarmup, concurrency, model, nearCache, layout, rounds, grpcClient, delay, instances, storeTimeout, outFile, json,
        };
        FeatureBenchOptions Options(ParseResult parse) => new FeatureBenchOptions
        {
            Model = parse.GetValue(model)!,
            Duration = parse.GetValue(duration),
            Warmup = parse.GetValue(warmup),
            ServerWarmup = parse.GetValue(serverWarmup),
            Concurrency = parse.GetValue(concurrency),
            NearCache = parse.GetValue(nearCache)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(NearCacheSetting.Parse).Distinct().ToList(),
            Layouts = parse.GetValue(layout)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(NearCacheSetting.ParseLayout).Distinct().ToList(),
            Rounds = parse.GetValue(rounds),
            GrpcClient = GrpcClientKinds.Parse(parse.GetValue(grpcClient)!),
            Batching = new BatchingConfig(64, parse.GetValue(delay), parse.GetValue(instances), 0),
            StoreTimeout = parse.GetValue(storeTimeout),
            MarkdownPath = parse.GetValue(outFile)?.FullName,
            JsonPath = parse.GetValue(json)?.FullName,
        };
        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(() => RunAsync(Options(parse), cancellationToken)));
        optionsOf = Options;
        return command;
    }

    /// <summary>Runs the bench and prints (and writes) the report; 130 when it stopped early.</summary>
    internal static async Task<int> RunAsync(FeatureBenchOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        OutputPaths.CheckFile("--out", options.MarkdownPath);
        OutputPaths.CheckFile("--json", options.JsonPath);
        var root = BenchModel.FindRepositoryRoot(Directory.GetCurrentDirectory());
        var estimate = options.Estimate;
        await Console.Error.WriteLineAsync(
            $"features-bench: model {options.Model}, layout {string.Join(",", options.Layouts)}, near cache {string.Join(",", options.NearCache.Select(m => m.ToName()))}, {options.Arms} arms ({options.Rounds} round(s) per worker) of "
            + $"{Format.Fixed(options.Warmup.TotalSeconds, 0)}+{Format.Fixed(options.Duration.TotalSeconds, 0)} s at concurrency {options.Concurrency}, gRPC client {options.GrpcClient.ToName()}; estimated {estimate:m\\mss\\s}");

        // Bounded as a whole, like the bench: every arm is bounded, start-ups get a generous allowance.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter((estimate * 2) + TimeSpan.FromMinutes(2));
        var report = await new FeatureBenchRunner(options, new BenchProgress(options.Arms, estimate)).RunAsync(root, limit.Token);
        var markdown = FeatureBenchMarkdown.Render(report);
        Console.WriteLine(markdown);
        var written = await ReportFiles.TryWriteAsync("--out", options.MarkdownPath, path => File.WriteAllTextAsync(path, markdown, CancellationToken.None), Console.Error);
        written &= await ReportFiles.TryWriteAsync("--json", options.JsonPath, path => ReportFiles.WriteJsonAsync(path, report, FeatureBenchJsonContext.Default.FeatureBenchReport, CancellationToken.None), Console.Error);
        return !written ? 1 : report.StoppedEarly is null ? 0 : 130;
    }
}
