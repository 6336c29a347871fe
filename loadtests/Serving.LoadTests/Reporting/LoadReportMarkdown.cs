using System.Text;

namespace Serving.LoadTests.Reporting;

/// <summary>Renders a <see cref="LoadReport"/> as Markdown: summary, latency table, errors table.</summary>
internal static class LoadReportMarkdown
{
    /// <summary>The report as Markdown.</summary>
    public static string Render(LoadReport r)
    {
        var md = new StringBuilder();
        md.AppendLine($"### {r.Protocol}{(r.GrpcClient is { } client ? $" ({client})" : string.Empty)} → {r.Target} model `{r.Model}`{(r.ModelVersion.Length > 0 ? " v" + r.ModelVersion : string.Empty)}");
        md.AppendLine();
        md.AppendLine($"{Shape(r)} · warmup {Format.Fixed(r.WarmupSeconds, 1)} s · measured {Format.Fixed(r.MeasuredSeconds, 2)} s · "
            + $"{Format.Int(r.RowsPerRequest)} row(s), {Format.Int(r.RequestBytes)} bytes per request · "
            + $"{Format.Int(r.AllocatedBytesPerCall)} bytes allocated and {Format.Int(r.ProcessCpuMicrosPerCall)} µs CPU per call (process) · "
            + $"{Format.Fixed(r.ProcessCpuCores, 2)} cores used by this process" + (r.OtherCpuCores is { } other ? $", {Format.Fixed(other, 2)} by others" : string.Empty)
            + (r.Gc is { } gc ? $" · GC paused this process {gc} (share of the run; gen0 / gen1 / gen2 collections)" : string.Empty));
        md.AppendLine();
        if (r.StoppedEarly is { } stopped)
        {
            md.AppendLine($"**Stopped early:** {stopped}.");
            md.AppendLine();
        }

        md.AppendLine("| throughput | rows/s | ok | failed |" + (r.Offered is null ? string.Empty : " offered |"));
        md.AppendLine("| ---: | ---: | ---: | ---: |" + (r.Offered is null ? string.Empty : " ---: |"));
        md.AppendLine($"| {Format.Int(r.RequestsPerSecond)} req/s | {Format.Int(r.RowsPerSecond)} | {Format.Int(r.Succeeded)} | {Format.Int(r.Failed)} |"
            + (r.Offered is { } offered ? $" {Format.Int(offered)} |" : string.Empty));
        md.AppendLine();
        md.AppendLine("| latency | p50 | p90 | p99 | p99.9 | max | mean |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        md.AppendLine(Row(r.ServiceTime is null ? "per call" : "from intended send", r.Latency));
        if (r.ServiceTime is { } service)
        {
            md.AppendLine(Row("from actual send", service));
        }

        md.AppendLine();
        AppendErrors(md, r);
        return md.ToString();
    }

    private static string Shape(LoadReport r) => r.Mode == "open"
        ? $"open model, {Format.Int(r.Rate ?? 0)} req/s" + (r.RampTo is { } to ? $" ramping to {Format.Int(to)}" : string.Empty)
            + $", max {Format.Int(r.MaxInFlight ?? 0)} in flight"
            + (r.WakeIntervalMicros is { } wake ? $", scheduler wakes every {Format.Micros(wake)}" : string.Empty) + Connections(r)
        : $"closed model, concurrency {Format.Int(r.Concurrency ?? 0)}" + Connections(r);

    private static string Connections(LoadReport r) => r.Connections is { } c ? $", {c} channel(s)" : string.Empty;

    private static string Row(string label, LatencySummary l) =>
        $"| {label} | {Format.Micros(l.P50Micros)} | {Format.Micros(l.P90Micros)} | {Format.Micros(l.P99Micros)} | "
        + $"{Format.Micros(l.P999Micros)} | {Format.Micros(l.MaxMicros)} | {Format.Micros(l.MeanMicros)} |";

    private static void AppendErrors(StringBuilder md, LoadReport r)
    {
        if (r.Errors.Count == 0)
        {
            md.AppendLine("No errors.");
            return;
        }

        var total = r.Succeeded + r.Failed;
        md.AppendLine("| error kind | status | count | share | first message |");
        md.AppendLine("| --- | --- | ---: | ---: | --- |");
        foreach (var e in r.Errors)
        {
            md.AppendLine($"| {e.Kind} | {e.Status} | {Format.Int(e.Count)} | {Format.Fixed(100.0 * e.Count / Math.Max(total, 1), 2)}% | {e.FirstMessage?.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        if (r.FirstClientError is { } first)
        {
            md.AppendLine();
            md.AppendLine($"First client error: `{first}`");
        }
    }
}
