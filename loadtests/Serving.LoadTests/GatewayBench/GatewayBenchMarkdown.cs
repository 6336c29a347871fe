using System.Text;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.GatewayBench;

/// <summary>Renders a <see cref="GatewayBenchReport"/>: header, the checks with their targets, every cell, then the nginx.conf used.</summary>
internal static class GatewayBenchMarkdown
{
    /// <summary>The report as Markdown.</summary>
    public static string Render(GatewayBenchReport r)
    {
        var md = new StringBuilder();
        AppendHeader(md, r);
        AppendChecks(md, r);
        AppendCells(md, r);
        AppendNginx(md, r.Nginx);
        return md.ToString();
    }

    /// <summary>A check's value as printed: <c>0.62×</c> or <c>0.120 ms</c>.</summary>
    public static string Value(double? value, string unit) => value switch
    {
        null => "n/a",
        { } v when unit == "ms" => Format.Fixed(v, 3) + " ms",
        { } v => Format.Fixed(v, 2) + "×",
    };

    /// <summary>A check's target as printed: <c>≥ 0.5×</c> or <c>≤ 0.3 ms</c>.</summary>
    public static string Target(GatewayBenchCheck check) =>
        (check.AtLeast ? "≥ " : "≤ ") + (check.Unit == "ms" ? Format.Fixed(check.Target, 1) + " ms" : Format.Fixed(check.Target, 1) + "×");

    /// <summary><c>gRPC</c> or <c>REST JSON</c>.</summary>
    public static string Protocol(string name) => name == "grpc" ? "gRPC" : name == "rest-json" ? "REST JSON" : name;

    private static string RestHop(GatewayBenchReport r) => r.GatewayRestToWorkers is { } hop
        ? $" The gateway forwards REST to the worker with `RestToWorkers: {hop}` (Auto: HTTP/1.1 for a call alone in flight, HTTP/2 when calls overlap)."
        : string.Empty;

    /// <summary>With more than one round: how many, the order rule and how the figures come from them; empty with one.</summary>
    private static string Rounds(GatewayBenchReport r)
    {
        if (r.Rounds <= 1)
        {
            return string.Empty;
        }

        var order = r.Cells.Where(c => c.Round == 1).Select(c => c.Target.ToName()).Distinct().ToList();
        var example = order.Count > 1 ? $" ({string.Join(", ", order)}, then {string.Join(", ", Enumerable.Reverse(order))}, …)" : string.Empty;
        return $"Each (protocol, concurrency) group ran {r.Rounds} rounds in a row, a round being one cell per target, in the order given in odd rounds "
            + $"and reversed in even ones{example}, so a drift in the process's speed falls on every target alike; each figure below is computed per round "
            + "from that round's two cells, and the one printed is the median over the rounds (the mean of the middle two for an even count). ";
    }

    private static void AppendHeader(StringBuilder md, GatewayBenchReport r)
    {
        var m = r.Machine;
        md.AppendLine($"# Gateway bench: {r.Model} v{r.ModelVersion}, worker direct vs Serving gateway vs nginx");
        md.AppendLine();
        md.AppendLine($"{r.StartedAt:yyyy-MM-dd HH:mm} UTC · {m.Cores} cores ({m.Cpu}) · {m.Runtime} · ONNX Runtime {m.OnnxRuntime} · "
            + $"worker build {(m.WorkerOptimized ? "optimized (Release)" : "**unoptimized (Debug): figures undersell it**")} · "
            + $"took {Clock(r.TotalSeconds)} (estimated {Clock(r.EstimatedSeconds)})" + m.GcText);
        md.AppendLine();
        var nginx = r.Nginx switch
        {
            null => "nginx was not among the targets",
            { Skipped: { } skipped } => $"nginx cells skipped: {skipped}",
            { Error: { } error } => $"nginx did not start: {error}",
            { } n => $"{n.Version} runs as a child process (`worker_processes {n.WorkerProcesses}`, config below)",
        };
        md.AppendLine($"One process holds the worker, the gateway and the load generator (serving-loadtest, closed model; gRPC client `{r.GrpcClient}`, "
            + $"REST JSON over HTTP/1.1 with one connection per caller); {nginx}.{RestHop(r)} Every target is in front of the same worker and all run at once, on 127.0.0.1. "
            + (r.WorkerBatching is { } batching ? $"The worker batches with the model's own settings (`{batching}`). " : string.Empty)
            + $"Each target got {Seconds(r.TargetWarmupSeconds)} s of unrecorded load per protocol at concurrency 64 first; then every cell is "
            + $"{Seconds(r.WarmupSeconds)} s warm-up + {Seconds(r.DurationSeconds)} s measured, the targets taking turns cell by cell, all sent the same request bytes. "
            + Rounds(r)
            + "The machine is shared: the `others` column is the CPU other processes used during the cell.");
        md.AppendLine();
        if (r.StoppedEarly is { } stopped)
        {
            md.AppendLine($"**Stopped early:** {stopped}.");
            md.AppendLine();
        }
    }

    private static void AppendChecks(StringBuilder md, GatewayBenchReport r)
    {
        md.AppendLine("## Targets");
        md.AppendLine();
        md.AppendLine("| protocol | figure | measured | target | result | from |");
        md.AppendLine("| --- | --- | ---: | --- | --- | --- |");
        foreach (var c in r.Checks)
        {
            md.AppendLine($"| {Protocol(c.Protocol)} | {c.Name} | {Value(c.Value, c.Unit)} | {Target(c)} | {c.Verdict} | {Escape(c.Detail)} |");
        }

        md.AppendLine();
    }

    private static void AppendCells(StringBuilder md, GatewayBenchReport r)
    {
        md.AppendLine("## Cells");
        md.AppendLine();
        var rounds = r.Rounds > 1;
        md.AppendLine($"| protocol | c |{(rounds ? " round |" : string.Empty)} target | req/s | p50 | p90 | p99 | requests | errors | CPU this process | others |");
        md.AppendLine($"| --- | ---: |{(rounds ? " ---: |" : string.Empty)} --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var c in r.Cells)
        {
            var head = $"| {Protocol(c.Protocol)} | {c.Concurrency} |{(rounds ? $" {c.Round} |" : string.Empty)} {c.Target.ToLabel()}{(c.Attempts > 1 ? " (ran twice)" : string.Empty)} |";
            md.AppendLine(c switch
            {
                { Skipped: { } skipped } => $"{head} skipped: {Escape(skipped)} | | | | | | | |",
                { Report: { } l } => $"{head} {Format.Int(l.RequestsPerSecond)} | {Format.Micros(l.Latency.P50Micros)} | {Format.Micros(l.Latency.P90Micros)} | "
                    + $"{Format.Micros(l.Latency.P99Micros)} | {Format.Int(l.Succeeded + l.Failed)} | {Errors(l)} | {Format.Fixed(l.ProcessCpuCores, 2)} | "
                    + $"{(l.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")} |",
                _ => $"{head} did not run: {Escape(c.Error ?? "unknown")} | | | | | | | |",
            });
        }

        md.AppendLine();
        md.AppendLine("`requests` counts the measured window only; `errors` are failed requests in it. CPU is in cores: this process holds the generator, the worker and the gateway; nginx is among `others`."
            + (r.Cells.Any(c => c.Attempts > 1) ? " A cell marked (ran twice) completed no request in its window the first time, with none failed (a stall), and ran once more; the second run is shown." : string.Empty));
        md.AppendLine();
    }

    private static void AppendNginx(StringBuilder md, NginxRun? nginx)
    {
        if (nginx?.Config is not { } config)
        {
            return;
        }

        md.AppendLine("## nginx.conf");
        md.AppendLine();
        md.AppendLine("```nginx");
        md.Append(config);
        md.AppendLine("```");
    }

    private static string Errors(LoadReport l) =>
        l.Failed == 0 ? "0" : $"{Format.Int(l.Failed)} ({Escape(string.Join(", ", l.Errors.Select(e => $"{e.Kind} {e.Status} ×{Format.Int(e.Count)}")))})";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    /// <summary>Seconds with a decimal only when they have one.</summary>
    public static string Seconds(double seconds) => Format.Fixed(seconds, seconds % 1 == 0 ? 0 : 1);

    private static string Clock(double seconds) => $"{(int)(seconds / 60)}m{(int)(seconds % 60):00}s";
}
