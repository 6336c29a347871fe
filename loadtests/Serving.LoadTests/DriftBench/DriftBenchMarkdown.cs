using System.Text;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.DriftBench;

/// <summary>Renders a <see cref="DriftBenchReport"/>: header, targets, worker cells, ingest runs, notes.</summary>
internal static class DriftBenchMarkdown
{
    /// <summary>The report as Markdown.</summary>
    public static string Render(DriftBenchReport r)
    {
        var md = new StringBuilder();
        AppendHeader(md, r);
        AppendTargets(md, r);
        AppendWorker(md, r);
        AppendIngest(md, r);
        md.AppendLine("Notes: one run on a shared machine (\"others\" is CPU other processes used meanwhile); targets are printed, never asserted. "
            + "Client, worker and sidecar share this process and its cores, as a sidecar shares the worker's machine. "
            + "The archive cannot be turned off by configuration (every record is archived before its ack), so there is no scoring-only figure; "
            + "the FlushToDisk=false run shows what the fsync per batch costs.");
        return md.ToString();
    }

    /// <summary>A target row's value as printed.</summary>
    public static string Value(BenchRatio row) => row.Value switch
    {
        null => "n/a",
        { } v when row.Unit == "×" => Format.Fixed(v, 3) + "×",
        { } v when row.Unit == "records/s" => Format.Int(v) + "/s",
        { } v => Format.Int(v),
    };

    private static void AppendHeader(StringBuilder md, DriftBenchReport r)
    {
        var m = r.Machine;
        md.AppendLine("# Drift bench: prediction logging cost and sidecar ingest rate");
        md.AppendLine();
        md.AppendLine($"{r.StartedAt:yyyy-MM-dd HH:mm} UTC · {m.Cores} cores ({m.Cpu}) · {m.Runtime} · "
            + $"build {(m.WorkerOptimized ? "optimized (Release)" : "**unoptimized (Debug): figures undersell it**")} · took {Format.Fixed(r.TotalSeconds, 0)} s · "
            + $"model `{r.Model}` v{r.ModelVersion}" + m.GcText);
        md.AppendLine();
        if (r.StoppedEarly is { } stopped)
        {
            md.AppendLine($"**Stopped early:** {stopped}.");
            md.AppendLine();
        }
    }

    private static void AppendTargets(StringBuilder md, DriftBenchReport r)
    {
        md.AppendLine("## Targets");
        md.AppendLine();
        md.AppendLine("| figure | value | target | result | from |");
        md.AppendLine("| --- | ---: | --- | --- | --- |");
        foreach (var row in r.Targets)
        {
            md.AppendLine($"| {row.Name} | {Value(row)} | {row.Target} | {row.Verdict} | {Escape(row.Detail)} |");
        }

        md.AppendLine();
    }

    private static void AppendWorker(StringBuilder md, DriftBenchReport r)
    {
        if (r.WorkerCells.Count == 0)
        {
            return;
        }

        md.AppendLine($"## Worker: gRPC ModelInfer, closed model at concurrency {r.Concurrency}");
        md.AppendLine();
        md.AppendLine($"Two workers (dynamic batching on, {(r.WorkerBatching is { } batching ? $"the model's own settings: `{batching}`" : "the bench's settings")}) in this process, one logging every prediction to an in-process drift sidecar "
            + $"(archive on, fsync per batch), one not; each got {Format.Fixed(r.ServerWarmupSeconds, 0)} s of unrecorded load after it started. "
            + $"Cells alternate in ABBA order (off, on, on, off, …) for {r.Rounds} round(s), {Format.Fixed(r.WarmupSeconds, 0)} s warmup + {Format.Fixed(r.DurationSeconds, 0)} s measured, "
            + $"gRPC client `{r.GrpcClient}`, 1 row per request.");
        md.AppendLine();
        md.AppendLine("| round | worker | req/s | p50 | p99 | failed | cores: this process / others | GC paused (gen0 / gen1 / gen2) | mean batch | logs enqueued | dropped | acked by sidecar |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var cell in r.WorkerCells)
        {
            if (cell.Report is not { } x)
            {
                md.AppendLine($"| {cell.Round} | {cell.Arm} | did not run: {Escape(cell.Error ?? "?")} | | | | | | | | | |");
                continue;
            }

            var logs = cell.Logs is { } l ? $"{Format.Int(l.Enqueued)} | {Format.Int(l.Dropped)} | {Format.Int(l.Acked)}" : "— | — | —";
            md.AppendLine($"| {cell.Round} | {cell.Arm} | {Format.Int(x.RequestsPerSecond)} | {Format.Micros(x.Latency.P50Micros)} | {Format.Micros(x.Latency.P99Micros)} | "
                + $"{Format.Int(x.Failed)} | {Format.Fixed(x.ProcessCpuCores, 2)} / {(x.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")} | {x.Gc?.ToString() ?? "—"} | "
                + $"{(cell.Batching is { Executions: > 0 } b ? Format.Fixed(b.MeanBatchSize, 2) : "—")} | {logs} |");
        }

        md.AppendLine();
    }

    private static void AppendIngest(StringBuilder md, DriftBenchReport r)
    {
        if (r.Ingest.Count == 0)
        {
            return;
        }

        var first = r.Ingest[0];
        md.AppendLine("## Sidecar ingest: the real gRPC Ingest stream, as fast as it acknowledges");
        md.AppendLine();
        md.AppendLine($"A fresh sidecar per run. {first.Streams} stream(s), batches of {first.BatchSize} records shaped as the worker sends them "
            + $"(`{r.Model}` v{r.ModelVersion}: the profile's feature names, rows drawn from its samples, {Format.Fixed(first.RecordBytes, 0)} bytes per record on the wire), "
            + $"up to {first.MaxUnackedBatches} batches in flight per stream. Records/s counts records acknowledged inside the measured window; "
            + "an ack means the records were written to the archive and flushed as the run's setting says. "
            + "CPU per record is this process's (client and sidecar) CPU time over the whole run divided by the records acknowledged: on a busy machine it says more than records/s.");
        md.AppendLine();
        md.AppendLine("| run | records/s | window | ack p50 | ack p99 | acked (all) | refused | sidecar archived | archive lines / files / MiB | scored | cores: this process / others | CPU per record |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |");
        foreach (var run in r.Ingest)
        {
            var archive = run.Archive is { } a ? $"{Format.Int(a.Lines)} / {a.Files} / {Format.Fixed(a.Bytes / 1048576.0, 0)}" : "?";
            md.AppendLine($"| {run.Label}{(run.Error is { } e ? $" (**ended early: {Escape(e)}**)" : string.Empty)} | {Format.Int(run.RecordsPerSecond)} | "
                + $"{Format.Int(run.MeasuredRecords)} in {Format.Fixed(run.MeasuredSeconds, 1)} s | {Format.Micros(run.AckLatency.P50Micros)} | {Format.Micros(run.AckLatency.P99Micros)} | "
                + $"{Format.Int(run.RecordsAcked)} | {Format.Int(run.RecordsRejected)} | {Format.Int(run.SidecarArchived)} | {archive} | {Format.Int(run.SidecarScored)} | "
                + $"{Format.Fixed(run.ProcessCpuCores, 2)} / {(run.OtherCpuCores is { } o ? Format.Fixed(o, 2) : "?")} | {Format.Fixed(run.CpuMicrosPerRecord, 1)} µs |");
        }

        md.AppendLine();
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
