namespace Serving.LoadTests.GatewayBench;

/// <summary>How long a gateway bench takes: an estimate from its options, printed at the start and used to bound the run.</summary>
internal static class GatewayBenchPlan
{
    /// <summary>Seconds per load run beyond warm-up and window: preflight, drain.</summary>
    public const double RunOverheadSeconds = 0.6;

    /// <summary>Seconds to start the worker, the gateway (until it routes) and nginx.</summary>
    public const double StartSeconds = 5;

    /// <summary>Measured cells: targets × protocols × concurrencies × rounds.</summary>
    public static int Cells(GatewayBenchOptions o) => o.Targets.Count * o.Protocols.Count * GatewayBenchOptions.Concurrencies.Count * o.Rounds;

    /// <summary>The expected wall time.</summary>
    public static TimeSpan Estimate(GatewayBenchOptions o)
    {
        var warmups = o.Targets.Count * o.Protocols.Count * (o.TargetWarmup > TimeSpan.Zero ? o.TargetWarmup.TotalSeconds + RunOverheadSeconds : 0);
        var cells = Cells(o) * (o.Warmup.TotalSeconds + o.Duration.TotalSeconds + RunOverheadSeconds);
        return TimeSpan.FromSeconds(Math.Ceiling(StartSeconds + warmups + cells));
    }

    /// <summary>The hard bound after which the run cancels what is left and prints what it has.</summary>
    public static TimeSpan Bound(GatewayBenchOptions o) => (Estimate(o) * 2) + TimeSpan.FromMinutes(1);
}
