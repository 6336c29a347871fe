using Serving.LoadTests.Bench;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.DriftBench;

/// <summary>The issue's targets, computed from the cells and runs: pure, so a saved report reads the same.</summary>
internal static class DriftBenchTargets
{
    /// <summary>Worker throughput with logging at 100% over without.</summary>
    public const double MinThroughputRatio = 0.95;

    /// <summary>The sidecar's ingest rate with the archive on.</summary>
    public const double MinIngestRecordsPerSecond = 100_000;

    /// <summary>The label of the ingest run that counts for the target: the sidecar's defaults.</summary>
    public const string DefaultArchiveLabel = "archive on, fsync per batch (default)";

    /// <summary>The label of the ingest run without fsync.</summary>
    public const string OsFlushLabel = "archive on, flushed to the OS only (FlushToDisk=false)";

    /// <summary>Every target row that has its figures.</summary>
    public static IReadOnlyList<BenchRatio> Compute(string model, IReadOnlyList<WorkerCell> cells, IReadOnlyList<IngestResult> ingest)
    {
        var rows = new List<BenchRatio>();
        if (cells.Count > 0)
        {
            rows.Add(PerRoundRatio(model, cells));
            rows.Add(ThroughputRatio(model, cells));
            rows.Add(CpuPerRequest(model, cells));
            rows.Add(Dropped(model, cells));
        }

        foreach (var run in ingest)
        {
            rows.Add(IngestRate(model, run));
        }

        return rows;
    }

    /// <summary>
    /// Mean req/s of the logging cells over the mean of the others; null when either arm has no successful cell. No
    /// target: one cell far off its arm (this machine has runs 40% faster than the next) moves a mean, not the median above.
    /// </summary>
    public static BenchRatio ThroughputRatio(string model, IReadOnlyList<WorkerCell> cells)
    {
        var on = Rates(cells, logging: true);
        var off = Rates(cells, logging: false);
        const string Name = "worker throughput, logging 100% ÷ off, mean of the cells";
        const string Target = "— (for reading the ratio)";
        if (on.Count == 0 || off.Count == 0)
        {
            return new BenchRatio(model, Name, null, "×", Target, null, "an arm has no cell that ran");
        }

        var ratio = on.Average() / off.Average();
        return new BenchRatio(model, Name, ratio, "×", Target, null,
            $"{Format.Int(on.Average())} req/s with logging (mean of {on.Count}: {string.Join(", ", on.Select(Format.Int))}) ÷ "
            + $"{Format.Int(off.Average())} req/s without (mean of {off.Count}: {string.Join(", ", off.Select(Format.Int))})");
    }

    /// <summary>
    /// The issue's figure: the median over rounds of each round's logging cell over its logging-off cell. The two ran back
    /// to back, so a change in the machine's speed between rounds does not enter it, and one outlying cell moves it little
    /// (the gateway bench's figures are medians of rounds too).
    /// </summary>
    public static BenchRatio PerRoundRatio(string model, IReadOnlyList<WorkerCell> cells)
    {
        const string Name = "worker throughput, logging 100% ÷ off (median of the rounds)";
        var target = $"≥ {Format.Fixed(MinThroughputRatio, 2)}";
        var rounds = cells
            .Where(c => c.Report is { Succeeded: > 0 })
            .GroupBy(c => c.Round)
            .Select(g => (Round: g.Key, On: g.FirstOrDefault(c => c.Logging), Off: g.FirstOrDefault(c => !c.Logging)))
            .Where(r => r.On is not null && r.Off is not null)
            .OrderBy(r => r.Round)
            .Select(r => (r.Round, Ratio: r.On!.Report!.RequestsPerSecond / r.Off!.Report!.RequestsPerSecond))
            .ToList();
        if (Median.Of([.. rounds.Select(r => r.Ratio)]) is not { } median)
        {
            return new BenchRatio(model, Name, null, "×", target, null, "no round has both cells");
        }

        return new BenchRatio(model, Name, median, "×", target, median >= MinThroughputRatio,
            $"{rounds.Count} round(s): " + string.Join(", ", rounds.Select(r => $"round {r.Round} {Format.Fixed(r.Ratio, 3)}×")));
    }

    /// <summary>
    /// This process's CPU time per request with logging over without (worker, sidecar and generator alike): what logging
    /// costs in CPU, steadier than req/s when other processes take cores. No target; 1/x is the ratio a CPU-bound run would show.
    /// </summary>
    public static BenchRatio CpuPerRequest(string model, IReadOnlyList<WorkerCell> cells)
    {
        var on = CpuMicros(cells, logging: true);
        var off = CpuMicros(cells, logging: false);
        const string Name = "CPU per request (this process), logging 100% ÷ off";
        if (on.Count == 0 || off.Count == 0)
        {
            return new BenchRatio(model, Name, null, "×", "— (for reading the ratio)", null, "an arm has no cell that ran");
        }

        return new BenchRatio(model, Name, on.Average() / off.Average(), "×", "— (for reading the ratio)", null,
            $"{Format.Fixed(on.Average(), 1)} µs with logging ÷ {Format.Fixed(off.Average(), 1)} µs without (worker, sidecar and generator; warmup included)");
    }

    /// <summary>Records the worker dropped because its log queue was full: a sidecar that keeps up drops none.</summary>
    public static BenchRatio Dropped(string model, IReadOnlyList<WorkerCell> cells)
    {
        var logs = cells.Where(c => c.Logging && c.Logs is not null).Select(c => c.Logs!).ToList();
        if (logs.Count == 0)
        {
            return new BenchRatio(model, "log records dropped by the worker (queue full)", null, "records", "0", null, "no logging cell reported its metrics");
        }

        var dropped = logs.Sum(l => l.Dropped);
        var enqueued = logs.Sum(l => l.Enqueued);
        return new BenchRatio(model, "log records dropped by the worker (queue full)", dropped, "records", "0", dropped == 0,
            $"{Format.Int(enqueued)} enqueued, {Format.Int(logs.Sum(l => l.Acked))} acknowledged by the sidecar, {Format.Int(logs.Sum(l => l.Rejected))} refused during the logging cells");
    }

    /// <summary>A run's records/s; only the default-archive run has the target.</summary>
    public static BenchRatio IngestRate(string model, IngestResult run)
    {
        var counts = run.Label == DefaultArchiveLabel;
        var name = $"sidecar ingest rate, {run.Label}";
        var target = counts ? $"≥ {Format.Int(MinIngestRecordsPerSecond)}/s" : "— (for comparison)";
        if (run.MeasuredRecords == 0)
        {
            return new BenchRatio(model, name, null, "records/s", target, null, run.Error ?? "no record was acknowledged in the window");
        }

        var onDisk = run.AckedIsOnDisk
            ? $"all {Format.Int(run.RecordsAcked)} acknowledged records are lines in the archive"
            : $"**acknowledged {Format.Int(run.RecordsAcked)}, sidecar archived {Format.Int(run.SidecarArchived)}, archive lines {Format.Int(run.Archive?.Lines ?? 0)}**";
        return new BenchRatio(model, name, run.RecordsPerSecond, "records/s", target, counts ? run.RecordsPerSecond >= MinIngestRecordsPerSecond : null,
            $"{Format.Int(run.MeasuredRecords)} records in {Format.Fixed(run.MeasuredSeconds, 1)} s, {run.Streams} stream(s) of {run.BatchSize}-record batches, "
            + $"{run.MaxUnackedBatches} in flight; {onDisk}" + (run.Error is { } e ? $"; ended early: {e}" : string.Empty));
    }

    private static List<double> CpuMicros(IReadOnlyList<WorkerCell> cells, bool logging) =>
        [.. cells.Where(c => c.Logging == logging && c.Report is { Succeeded: > 0, ProcessCpuMicrosPerCall: > 0 }).Select(c => c.Report!.ProcessCpuMicrosPerCall)];

    private static List<double> Rates(IReadOnlyList<WorkerCell> cells, bool logging) =>
        [.. cells.Where(c => c.Logging == logging && c.Report is { Succeeded: > 0 }).Select(c => c.Report!.RequestsPerSecond)];
}
