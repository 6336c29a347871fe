using System.Text;
using Serving.LoadTests.Baselines.RawOrt;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Bench;

/// <summary>Renders a <see cref="BenchReport"/>: header, ratio table with targets, then per model raw ORT, closed and open cells, then the generator check.</summary>
internal static class BenchReportMarkdown
{
    /// <summary>The report as Markdown.</summary>
    public static string Render(BenchReport r)
    {
        var md = new StringBuilder();
        AppendHeader(md, r);
        AppendRatios(md, r);
        foreach (var model in r.Models)
        {
            AppendModel(md, r, model);
        }

        AppendGeneratorCheck(md, r.GeneratorCheck);
        AppendNotes(md, r);
        return md.ToString();
    }

    /// <summary>A ratio's value as printed: <c>0.82×</c>, or a latency.</summary>
    public static string Value(BenchRatio ratio) => ratio.Value switch
    {
        null => "n/a",
        { } v when ratio.Unit == "µs" => Format.Micros(v),
        { } v => Format.Fixed(v, 2) + "×",
    };

    private static void AppendHeader(StringBuilder md, BenchReport r)
    {
        var m = r.Machine;
        md.AppendLine("# Serving bench: gRPC ModelInfer, closed model, one process");
        md.AppendLine();
        md.AppendLine($"{r.StartedAt:yyyy-MM-dd HH:mm} UTC · {m.Cores} cores ({m.Cpu}) · {m.Runtime} · ONNX Runtime {m.OnnxRuntime} · "
            + $"worker build {(m.WorkerOptimized ? "optimized (Release)" : "**unoptimized (Debug): figures undersell the worker**")} · "
            + $"took {Clock(r.TotalSeconds)} (estimated {Clock(r.EstimatedSeconds)})" + m.GcText);
        md.AppendLine();
        md.AppendLine($"Generator: serving-loadtest, gRPC client `{r.GrpcClient}`"
            + (r.GrpcClient == "raw-h2" ? " (gRPC framing over SocketsHttpHandler: less client CPU per call than Grpc.Net.Client, see the generator check)" : string.Empty)
            + $", closed model at concurrency {string.Join(", ", r.Concurrencies)}, {Format.Fixed(r.DurationSeconds, 0)} s measured after {Format.Fixed(r.WarmupSeconds, 0)} s warmup per cell. "
            + $"Every server runs in this process on 127.0.0.1, one at a time, gets {Format.Fixed(r.ServerWarmupSeconds, 0)} s of unrecorded load at concurrency {r.ReferenceConcurrency} after it starts "
            + "(JIT tiering, thread pool growth), and is stopped before the next starts; every server receives the same request bytes. "
            + (r.NoisyRetries > 0
                ? $"A cell during which other processes used more than {Format.Fixed(r.NoisyThresholdCores, 2)} cores ran again (up to {r.NoisyRetries} more time(s)) and the quieter attempt is shown."
                : "Noisy cells were not retried."));
        md.AppendLine();
        var overrides = r.Batching;
        md.AppendLine("Each model's worker runs with the batching settings of the model's own model.yaml"
            + (overrides == new BatchingOverrides() ? string.Empty : ", with those given on the command line over them")
            + " (listed under each model); raw ORT runs with the same settings, and also with ORT's defaults when they differ. "
            + "The naive server keeps ORT's defaults (spinning on), as a hand-written server would.");
        md.AppendLine();
        if (r.StoppedEarly is { } stopped)
        {
            md.AppendLine($"**Stopped early:** {stopped}.");
            md.AppendLine();
        }
    }

    private static void AppendRatios(StringBuilder md, BenchReport r)
    {
        md.AppendLine($"## Ratios (closed model at concurrency {r.ReferenceConcurrency}, rows/s)");
        md.AppendLine();
        md.AppendLine("| model | ratio | value | target | result | from |");
        md.AppendLine("| --- | --- | ---: | --- | --- | --- |");
        foreach (var ratio in r.Ratios)
        {
            md.AppendLine($"| {ratio.Model} | {ratio.Name} | {Value(ratio)} | {ratio.Target} | {ratio.Verdict} | {Escape(ratio.Detail)} |");
        }

        md.AppendLine();
    }

    private static void AppendModel(StringBuilder md, BenchReport r, BenchModelResult m)
    {
        var kind = m.RawBatch1 is { } one
            ? $"{(m.IsComputeBound ? "compute-bound" : "RPC-bound")}: raw ORT {Format.Fixed(one.MeanMicros, 1)} µs per row at batch 1"
            : "raw ORT did not run";
        md.AppendLine($"## `{m.Model}` v{m.Version} ({kind})");
        md.AppendLine();
        md.AppendLine($"Request: 1 row, {Format.Int(m.RequestBytes)} bytes of protobuf.");
        md.AppendLine();
        var b = m.WorkerBatching;
        md.AppendLine($"Worker model.yaml: `max_batch_size: {b.MaxBatchSize}`, `dynamic_batching: {{ {b.DynamicBatchingText()}, max_queue_size: 1024 }}`, "
            + $"`runtime: {{ intra_op_threads: {b.IntraOpThreads} }}`{(b.IntraOpThreads == 0 ? " (ORT default: one thread per physical core)" : string.Empty)}.");
        md.AppendLine();
        if (m.RawOrt is { } raw)
        {
            md.AppendLine("Raw ONNX Runtime (no network, OrtValue API, spinning off; several callers run at once on one session, as the worker's instances do):");
            md.AppendLine();
            md.AppendLine("| batch | callers | intra-op threads | rows/s | µs per run, mean | p50 | p99 | CPU per row (all ORT threads) |");
            md.AppendLine("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var x in raw.Results)
            {
                md.AppendLine($"| {x.Batch} | {x.Callers} | {RawOrtReport.Threads(x.IntraOpThreads)} | {Format.Int(x.RowsPerSecond)} | {Format.Fixed(x.MeanMicros, 1)} | "
                    + $"{Format.Int(x.P50Micros)} | {Format.Int(x.P99Micros)} | {Format.Fixed(x.CpuMicrosPerRow, 1)} µs |");
            }

            md.AppendLine();
        }

        AppendClosed(md, m);
        AppendOpen(md, m);
    }

    private static void AppendClosed(StringBuilder md, BenchModelResult m)
    {
        md.AppendLine("Closed model, gRPC:");
        md.AppendLine();
        md.AppendLine("| server | concurrency | rows/s | p50 | p99 | failed | cores: this process / others | CPU per call | mean batch | compute per batch | queue wait |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var cell in m.Cells.Where(c => c.Mode == "closed"))
        {
            md.AppendLine($"| {cell.Arm.ToLabel()} | {cell.Concurrency} | {Row(cell)} |");
        }

        md.AppendLine();
    }

    private static void AppendOpen(StringBuilder md, BenchModelResult m)
    {
        var open = m.Cells.Where(c => c.Mode == "open").ToList();
        if (open.Count == 0)
        {
            return;
        }

        md.AppendLine("Open model, every server at half the batched worker's peak (latency from the intended send time):");
        md.AppendLine();
        md.AppendLine("| server | rate | achieved | p50 | p99 | p99.9 | failed | p99 from actual send | mean batch | cores: this process / others |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var cell in open)
        {
            if (cell.Report is not { } x)
            {
                md.AppendLine($"| {cell.Arm.ToLabel()} | {Format.Int(cell.Rate ?? 0)} | did not run: {Escape(cell.Error ?? "?")} | | | | | | | |");
                continue;
            }

            md.AppendLine($"| {cell.Arm.ToLabel()} | {Format.Int(cell.Rate ?? 0)} req/s | {Format.Int(x.RequestsPerSecond)} req/s | {Format.Micros(x.Latency.P50Micros)} | "
                + $"{Format.Micros(x.Latency.P99Micros)} | {Format.Micros(x.Latency.P999Micros)} | {Format.Int(x.Failed)} | "
                + $"{(x.ServiceTime is { } s ? Format.Micros(s.P99Micros) : "n/a")} | {Batch(cell.Batching)} | "
                + $"{Format.Fixed(x.ProcessCpuCores, 2)} / {(x.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")}{(cell.Attempts > 1 ? $" ({cell.Attempts} tries)" : string.Empty)} |");
        }

        md.AppendLine();
    }

    private static string Row(BenchCell cell)
    {
        if (cell.Report is not { } x)
        {
            return $"did not run: {Escape(cell.Error ?? "?")} | | | | | | | | |";
        }

        var b = cell.Batching;
        return $"{Format.Int(x.RowsPerSecond)} | {Format.Micros(x.Latency.P50Micros)} | {Format.Micros(x.Latency.P99Micros)} | {Format.Int(x.Failed)} | "
            + $"{Format.Fixed(x.ProcessCpuCores, 2)} / {(x.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")}{(cell.Attempts > 1 ? $" ({cell.Attempts} tries)" : string.Empty)} | {Format.Int(x.ProcessCpuMicrosPerCall)} µs | "
            + $"{Batch(b)} | {(b is { Executions: > 0 } ? Format.Micros(b.MeanComputeMicros) : "—")} | {(b is { Executions: > 0 } ? Format.Micros(b.MeanQueueMicros) : "—")}";
    }

    private static string Batch(BatchingStats? b) => b is { Executions: > 0 } ? Format.Fixed(b.MeanBatchSize, 1) : "—";

    private static void AppendGeneratorCheck(StringBuilder md, GeneratorCheckResult? check)
    {
        if (check is null)
        {
            return;
        }

        md.AppendLine($"## Generator check: echo server, `{check.Model}` request, {check.Connections} connection(s) × {check.StreamsPerConnection} streams, {check.Seconds} s each");
        md.AppendLine();
        md.AppendLine("| generator | req/s | of h2load | mean | p50 | p99 | generator CPU per call |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        if (check.H2Load is { } h)
        {
            md.AppendLine($"| h2load (C, another process) | {Format.Int(h.RequestsPerSecond)} | 1.00 | {Format.Micros(h.MeanMicros)} | n/a | n/a | "
                + $"{(check.H2LoadMicrosPerCall is { } hc ? Format.Fixed(hc, 1) + " µs" : "n/a")} |");
        }

        foreach (var ours in check.Ours)
        {
            md.AppendLine($"| serving-loadtest ({ours.GrpcClient}, in-process) | {Format.Int(ours.RequestsPerSecond)} | {(check.Ratio(ours) is { } q ? Format.Fixed(q, 2) : "n/a")} | "
                + $"{Format.Micros(ours.Latency.MeanMicros)} | {Format.Micros(ours.Latency.P50Micros)} | {Format.Micros(ours.Latency.P99Micros)} | "
                + $"{(check.GeneratorMicrosPerCall(ours) is { } g ? "≈ " + Format.Fixed(g, 1) + " µs" : "n/a")} |");
        }

        md.AppendLine();
        if (check.ServerMicrosPerCall is { } server && check.H2Load is not null)
        {
            md.AppendLine($"The echo server used {Format.Fixed(check.ServerCoresUnderH2Load, 2)} cores ({Format.Fixed(server, 1)} µs CPU per call) under h2load, which used "
                + $"{Format.Fixed(check.H2LoadCores, 2)} cores itself. Our generator's CPU per call is this process's CPU per call minus that server share; "
                + "whatever the generator takes, the server under test does not get on this machine.");
        }

        if (check.Note is { } note)
        {
            md.AppendLine($"Note: {Escape(note)}");
        }

        md.AppendLine();
    }

    private static void AppendNotes(StringBuilder md, BenchReport r)
    {
        md.AppendLine("Notes: ratios come from this one run (the machine is shared and noisy; \"others\" is CPU other processes used during a cell). "
            + "Targets are printed, never asserted. The generator shares this process and its cores with the server under test, for every server alike. "
            + $"\"vs naive\" has a target only on compute-bound models (raw ORT ≥ {Format.Int(BenchRatios.ComputeBoundMicrosPerRow)} µs per row at batch 1). "
            + "The p99 bound (max_queue_delay + 3 × one full batch) holds no RPC time, so an RPC-bound model cannot meet it: read it against the echo server's p99 at the same rate. "
            + "\"serving efficiency, paired\" comes from a check after each model's other cells: the batched worker and the echo server run side by side and take turns "
            + "(echo first in odd rounds, the worker first in even ones), so a change in the machine's speed between cells minutes apart does not enter it; those cells are in the JSON.");
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    private static string Clock(double seconds) => $"{(int)(seconds / 60)}m{(int)(seconds % 60):00}s";
}
