using System.CommandLine;
using Serving.LoadTests.Baselines.RawOrt;
using Serving.LoadTests.Reporting;
using Serving.Worker.Models;

namespace Serving.LoadTests.Commands;

/// <summary><c>raw-ort</c>: ONNX Runtime throughput in-process, no network.</summary>
internal static class RawOrtCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "The .onnx file", Required = true };
        var batches = new Option<int[]>("--batch")
        {
            Description = "Batch sizes, comma-separated",
            CustomParser = CliParsers.PositiveInts,
            DefaultValueFactory = _ => [1, 64],
        };
        var seconds = CommonOptions.Duration("--seconds", "Measured time per batch size", TimeSpan.FromSeconds(5));
        var warmup = CommonOptions.Duration("--warmup", "Unmeasured time per batch size", TimeSpan.FromSeconds(1));
        var threads = new Option<int>("--intra-op-threads") { Description = "ORT intra-op threads (0 = ORT default, at most 1024)", DefaultValueFactory = _ => 0 };
        var callers = new Option<int>("--callers") { Description = "Threads calling session.Run at once, each with its own buffers (a worker's instances)", DefaultValueFactory = _ => 1 };
        var json = CommonOptions.Json();
        var command = new Command("raw-ort", "Raw ONNX Runtime rows/s at each batch size (OrtValue API, one caller by default, spinning off)")
        {
            model, batches, seconds, warmup, threads, callers, json,
        };
        command.SetAction((parse, cancellationToken) => CommandGuard.RunAsync(async () =>
        {
            OutputPaths.CheckFile("--json", parse.GetValue(json)?.FullName);
            var options = new RawOrtOptions(
                parse.GetRequiredValue(model).FullName,
                parse.GetValue(batches) is { Length: > 0 } b ? b : throw LoadTestException.Usage("--batch needs at least one size"),
                parse.GetValue(seconds),
                parse.GetValue(warmup),
                parse.GetValue(threads) is var t and >= 0 and <= ModelConfigLoader.MaxThreads
                    ? t
                    : throw LoadTestException.Usage($"--intra-op-threads must be between 0 (ORT's default) and {ModelConfigLoader.MaxThreads}, the worker's bound"),
                parse.GetValue(callers) is var c and >= 1 and <= 64 ? c : throw LoadTestException.Usage("--callers must be between 1 and 64"));
            var report = await Task.Run(() => RawOrtBenchmark.Run(options, cancellationToken), cancellationToken);
            Console.WriteLine(report.ToMarkdown());
            var written = await ReportFiles.TryWriteAsync(
                "--json", parse.GetValue(json)?.FullName, path => ReportFiles.WriteJsonAsync(path, report, ReportJsonContext.Default.RawOrtReport, CancellationToken.None), Console.Error);
            return written ? 0 : 1;
        }));
        return command;
    }
}
