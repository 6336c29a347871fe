namespace Serving.LoadTests.Bench;

/// <summary>How long a bench takes: a pure estimate from its options, printed at the start and used to bound the run.</summary>
internal static class BenchPlan
{
    /// <summary>Seconds per cell beyond warmup and window: preflight, drain, metrics scrape.</summary>
    public const double CellOverheadSeconds = 0.6;

    /// <summary>Seconds to start and stop one server (the worker loads and warms its model).</summary>
    public const double ServerStartSeconds = 1.5;

    /// <summary>Unmeasured seconds before each raw ORT batch size.</summary>
    public static readonly TimeSpan RawOrtWarmup = TimeSpan.FromSeconds(1);

    /// <summary>Closed cells: models × servers × concurrencies.</summary>
    public static int ClosedCells(BenchOptions o) => o.Models.Count * o.Arms.Count * o.Concurrencies.Count;

    /// <summary>Open cells: every server at the batched worker's half-peak rate, per model (none without the batched worker).</summary>
    public static int OpenCells(BenchOptions o) =>
        o.Arms.Contains(BenchArm.WorkerBatching) ? o.Models.Count * o.Arms.Count : 0;

    /// <summary>Paired efficiency cells: the batched worker and the echo server, once per round, per model.</summary>
    public static int PairedCells(BenchOptions o) => o.RunsPaired ? o.Models.Count * 2 * o.PairedRounds : 0;

    /// <summary>All load cells (closed, open and paired; the generator check not included).</summary>
    public static int Cells(BenchOptions o) => ClosedCells(o) + OpenCells(o) + PairedCells(o);

    /// <summary>
    /// Raw ORT measurements per model: batch 1 and max batch in the worker's settings, max batch with as many callers
    /// as instances when there are several, and max batch with ORT's defaults when the worker's settings differ.
    /// </summary>
    public static int RawOrtRuns(BatchingConfig b) => 2 + (b.Instances > 1 ? 1 : 0) + (b.IsOrtDefault ? 0 : 1);

    /// <summary>
    /// The expected wall time of the whole bench; <paramref name="batching"/> holds each model's settings (when not
    /// given, models are taken to have none of their own, so only the overrides count).
    /// </summary>
    public static TimeSpan Estimate(BenchOptions o, IReadOnlyList<BatchingConfig>? batching = null)
    {
        var cell = o.Warmup.TotalSeconds + o.Duration.TotalSeconds + CellOverheadSeconds;
        var configs = batching ?? [.. o.Models.Select(_ => BatchingConfig.Resolve(string.Empty, o.Batching))];
        var rawOrt = configs.Sum(RawOrtRuns) * (o.Duration.TotalSeconds + RawOrtWarmup.TotalSeconds);
        var serverStarts = o.Models.Count * (o.Arms.Count + (o.RunsPaired ? 2 : 0)); // the paired check starts two more
        var servers = serverStarts * (ServerStartSeconds + (o.ServerWarmup > TimeSpan.Zero ? o.ServerWarmup.TotalSeconds + CellOverheadSeconds : 0));

        // Our generator with both gRPC clients, then h2load (with its own 1 s warmup).
        var check = o.Arms.Contains(BenchArm.Echo) ? (2 * cell) + (o.H2LoadCheck ? Math.Ceiling(o.Duration.TotalSeconds) + 1 : 0) : 0;
        return TimeSpan.FromSeconds(Math.Ceiling(rawOrt + servers + (Cells(o) * cell) + check));
    }

    /// <summary>The hard bound after which the bench cancels what is left and prints what it has (room for every cell to be retried).</summary>
    public static TimeSpan Bound(BenchOptions o, IReadOnlyList<BatchingConfig>? batching = null) =>
        (Estimate(o, batching) * (1 + Math.Max(1, o.NoisyRetries))) + TimeSpan.FromMinutes(1);
}
