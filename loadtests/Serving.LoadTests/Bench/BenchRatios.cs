using Serving.LoadTests.Baselines.RawOrt;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Bench;

/// <summary>The bench's ratios and their targets, from one run's figures (targets are printed, never asserted).</summary>
internal static class BenchRatios
{
    /// <summary>Raw ORT µs per row at batch 1 from which a model counts as compute-bound (batching should pay; "tens of µs or more").</summary>
    public const double ComputeBoundMicrosPerRow = 20;

    /// <summary>Serving efficiency target.</summary>
    public const double EfficiencyTarget = 0.7;

    /// <summary>vs-naive target on a compute-bound model.</summary>
    public const double VersusNaiveTarget = 3;

    /// <summary>The concurrency the ratios compare at: 64 when measured, else the highest measured.</summary>
    public static int ReferenceConcurrency(IReadOnlyList<int> concurrencies) =>
        concurrencies.Contains(64) ? 64 : concurrencies.Max();

    /// <summary>The ratios of one model; <paramref name="cores"/> is the machine's, for the CPU ceiling.</summary>
    public static IReadOnlyList<BenchRatio> Compute(BenchModelResult m, int c, int cores) =>
    [
        Efficiency(m, c),
        PairedEfficiency(m, c),
        BatchingGain(m, c),
        VersusNaive(m, c),
        P99AtHalfPeak(m),
        VersusCpuCeiling(m, c, cores),
    ];

    /// <summary>
    /// What the machine allows if every core did only the RPC path (the echo server's CPU per call, generator
    /// included) and ONNX Runtime at max batch (raw ORT's CPU per row): cores ÷ (both per row). No target: it says
    /// how far the worker is from this machine's limit, not from an ideal one.
    /// </summary>
    private static BenchRatio VersusCpuCeiling(BenchModelResult m, int c, int cores)
    {
        var worker = Rows(m.Closed(BenchArm.WorkerBatching, c));
        var rpc = m.Closed(BenchArm.Echo, c)?.Report is { Succeeded: > 0 } e ? e.ProcessCpuMicrosPerCall / e.RowsPerRequest : (double?)null;
        var ort = m.RawMaxBatch is { CpuMicrosPerRow: > 0 } r ? r.CpuMicrosPerRow : (double?)null;
        var ceiling = rpc is { } a && ort is { } b && a + b > 0 ? cores * 1e6 / (a + b) : (double?)null;
        return new BenchRatio(
            m.Model, "vs CPU ceiling", Divide(worker, ceiling), "×", "—", null,
            $"worker+batching c{c} {RowsText(worker)} ÷ ({cores} cores ÷ (echo c{c} {Micros(rpc)} CPU per row + {RawLabel(m.RawMaxBatch)} {Micros(ort)} CPU per row) = {RowsText(ceiling)})");
    }

    private static BenchRatio Efficiency(BenchModelResult m, int c)
    {
        var worker = Rows(m.Closed(BenchArm.WorkerBatching, c));
        var raw = m.RawMaxBatch?.RowsPerSecond;
        var echo = Rows(m.Closed(BenchArm.Echo, c));
        var ceiling = raw is { } r && echo is { } e ? Math.Min(r, e) : (double?)null;
        var value = Divide(worker, ceiling);
        var binding = raw is { } r2 && echo is { } e2 ? (r2 <= e2 ? "raw ORT binds" : "echo binds") : "a figure is missing";
        return new BenchRatio(
            m.Model, "serving efficiency", value, "×", $"≥ {Format.Fixed(EfficiencyTarget, 1)}", value is { } v ? v >= EfficiencyTarget : null,
            $"worker+batching c{c} {RowsText(worker)} ÷ min({RawLabel(m.RawMaxBatch)} {RowsText(raw)}, echo c{c} {RowsText(echo)}): {binding}");
    }

    /// <summary>
    /// The serving efficiency from the paired check: per round, the batched worker ÷ min(raw ORT, the echo server in
    /// the same round); the median over the rounds that have both. Null (and no verdict) when the check did not run.
    /// </summary>
    private static BenchRatio PairedEfficiency(BenchModelResult m, int c)
    {
        var raw = m.RawMaxBatch?.RowsPerSecond;
        var echoes = m.Paired(BenchArm.Echo);
        var rounds = new List<(int? Round, double Worker, double Ceiling)>();
        foreach (var cell in m.Paired(BenchArm.WorkerBatching))
        {
            if (Rows(cell) is { } worker && Rows(echoes.FirstOrDefault(e => e.Round == cell.Round)) is { } echo && raw is { } r)
            {
                rounds.Add((cell.Round, worker, Math.Min(r, echo)));
            }
        }

        var value = Median.Of([.. rounds.Select(x => x.Worker / x.Ceiling)]) is { } median ? Math.Round(median, 3) : (double?)null;
        var detail = rounds.Count == 0
            ? "not run, or no round with both cells (needs the batched worker, the echo server and --paired-rounds > 0)"
            : $"median over {rounds.Count} round(s) of worker+batching c{c} ÷ min({RawLabel(m.RawMaxBatch)} {RowsText(raw)}, echo c{c} in the same round), "
              + "the two servers side by side taking turns: "
              + string.Join("; ", rounds.Select(x => $"round {x.Round}: {RowsText(x.Worker)} ÷ {RowsText(x.Ceiling)} = {RatioText(x.Worker / x.Ceiling)}"));
        return new BenchRatio(
            m.Model, "serving efficiency, paired", value, "×", $"≥ {Format.Fixed(EfficiencyTarget, 1)}", value is { } v ? v >= EfficiencyTarget : null, detail);
    }

    private static BenchRatio BatchingGain(BenchModelResult m, int c)
    {
        var on = Rows(m.Closed(BenchArm.WorkerBatching, c));
        var off = Rows(m.Closed(BenchArm.WorkerUnbatched, c));
        var rawGain = Divide(m.RawMaxBatch?.RowsPerSecond, m.RawBatch1?.RowsPerSecond);
        return new BenchRatio(
            m.Model, "batching gain", Divide(on, off), "×", "—", null,
            $"worker c{c} batching on {RowsText(on)} ÷ off {RowsText(off)}; raw ORT gain {RawLabel(m.RawMaxBatch)} ÷ batch 1 = {RatioText(rawGain)}");
    }

    private static BenchRatio VersusNaive(BenchModelResult m, int c)
    {
        var worker = Rows(m.Closed(BenchArm.WorkerBatching, c));
        var naive = Rows(m.Closed(BenchArm.Naive, c));
        var value = Divide(worker, naive);
        var targeted = m.IsComputeBound;
        return new BenchRatio(
            m.Model, "vs naive", value, "×", targeted ? $"≥ {Format.Fixed(VersusNaiveTarget, 0)}" : "— (RPC-bound model)",
            targeted && value is { } v ? v >= VersusNaiveTarget : null,
            $"worker+batching c{c} {RowsText(worker)} ÷ naive c{c} {RowsText(naive)}");
    }

    private static BenchRatio P99AtHalfPeak(BenchModelResult m)
    {
        var batching = m.WorkerBatching;
        var open = m.Open(BenchArm.WorkerBatching);
        var p99 = open?.Report is { } r && r.Succeeded > 0 ? r.Latency.P99Micros : (double?)null;
        var full = m.RawFullBatch;
        var fullBatch = full?.MeanMicros;
        var bound = fullBatch is { } f ? batching.MaxQueueDelayMicros + (3 * f) : (double?)null;
        var others = new[] { BenchArm.WorkerUnbatched, BenchArm.Naive, BenchArm.Echo }
            .Select(arm => (arm, m.Open(arm)?.Report))
            .Where(x => x.Report is { Succeeded: > 0 })
            .Select(x => $"{x.arm.ToLabel()} {Format.Micros(x.Report!.Latency.P99Micros)}" + (x.Report.Failed > 0 ? $" ({Format.Int(x.Report.Failed)} failed)" : string.Empty))
            .ToList();
        var failed = open?.Report?.Failed ?? 0;
        var echoFailed = m.Open(BenchArm.Echo)?.Report is { Failed: > 0 };
        return new BenchRatio(
            m.Model, "p99 at half of peak", p99, "µs", bound is { } b ? $"≤ {Format.Micros(b)}" : "—",
            p99 is { } p && bound is { } b2 ? p <= b2 && failed == 0 : null,
            $"open model at {Format.Int(open?.Rate ?? 0)} req/s (half of peak {RowsText(m.PeakBatchedRowsPerSecond)}), from intended send"
            + (failed > 0 ? $", {Format.Int(failed)} failed" : string.Empty)
            + $"; bound = max_queue_delay {Format.Micros(batching.MaxQueueDelayMicros)} + 3 × raw ORT batch {full?.Batch} {(fullBatch is { } fb ? Format.Micros(fb) : "n/a")}"
            + (full is { Callers: > 1 } ? $" (mean run with {full.Callers} runs at once, as the worker's {full.Callers} instances)" : string.Empty)
            + (others.Count > 0 ? $"; p99 at the same rate: {string.Join(", ", others)}" : string.Empty)
            + (echoFailed ? "; the echo server fails at this rate too: it is beyond the generator and RPC path here, so this figure does not isolate the worker" : string.Empty));
    }

    /// <summary>A raw ORT figure's name: its batch, and how it ran when that was not one caller on ORT's default threads.</summary>
    internal static string RawLabel(RawOrtResult? r) => r switch
    {
        null => "raw ORT (not run)",
        { Callers: 1, IntraOpThreads: 0 } => $"raw ORT batch {r.Batch}",
        _ => $"raw ORT batch {r.Batch} ({r.Callers} caller{(r.Callers == 1 ? string.Empty : "s")} × {RawOrtReport.Threads(r.IntraOpThreads)} intra-op thread{(r.IntraOpThreads == 1 ? string.Empty : "s")})",
    };

    private static double? Rows(BenchCell? cell) => cell?.Report is { Succeeded: > 0 } r ? r.RowsPerSecond : null;

    private static double? Divide(double? a, double? b) => a is { } x && b is { } y && y > 0 ? Math.Round(x / y, 3) : null;

    private static string RowsText(double? rows) => rows is { } r ? $"{Format.Int(r)} rows/s" : "n/a";

    private static string Micros(double? micros) => micros is { } m ? $"{Format.Fixed(m, 1)} µs" : "n/a";

    private static string RatioText(double? ratio) => ratio is { } r ? $"{Format.Fixed(r, 2)}×" : "n/a";
}
