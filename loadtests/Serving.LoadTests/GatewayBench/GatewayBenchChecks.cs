using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.GatewayBench;

/// <summary>The targets, computed from one run's cells (ratios only ever compare cells of the same run).</summary>
internal static class GatewayBenchChecks
{
    /// <summary>Gateway ÷ direct throughput at <see cref="ThroughputConcurrency"/>: at least this on 2 shared cores.</summary>
    public const double MinGatewayOverDirect = 0.5;

    /// <summary>Gateway ÷ nginx throughput at <see cref="ThroughputConcurrency"/>: at least this.</summary>
    public const double MinGatewayOverNginx = 2;

    /// <summary>Gateway p50 − direct p50 at <see cref="LatencyConcurrency"/>, in milliseconds: at most this.</summary>
    public const double MaxAddedP50Millis = 0.3;

    /// <summary>The concurrency throughput is compared at.</summary>
    public const int ThroughputConcurrency = 64;

    /// <summary>The concurrency added latency is read at.</summary>
    public const int LatencyConcurrency = 1;

    /// <summary>Per protocol present in <paramref name="cells"/>: gateway ÷ direct, gateway ÷ nginx, added p50.</summary>
    public static IReadOnlyList<GatewayBenchCheck> Compute(IReadOnlyList<GatewayBenchCell> cells) =>
        cells.Select(c => c.Protocol).Distinct().SelectMany(p => For(cells, p)).ToList();

    private static IEnumerable<GatewayBenchCheck> For(IReadOnlyList<GatewayBenchCell> cells, string protocol)
    {
        var direct64 = Find(cells, ProxyTarget.Direct, protocol, ThroughputConcurrency);
        var gateway64 = Find(cells, ProxyTarget.Gateway, protocol, ThroughputConcurrency);
        var nginx64 = Find(cells, ProxyTarget.Nginx, protocol, ThroughputConcurrency);
        yield return Ratio($"gateway ÷ direct throughput, c={ThroughputConcurrency}", protocol, gateway64, direct64, MinGatewayOverDirect);
        yield return Ratio($"gateway ÷ nginx throughput, c={ThroughputConcurrency}", protocol, gateway64, nginx64, MinGatewayOverNginx);
        yield return AddedP50(protocol, Find(cells, ProxyTarget.Gateway, protocol, LatencyConcurrency), Find(cells, ProxyTarget.Direct, protocol, LatencyConcurrency));
    }

    private static GatewayBenchCheck Ratio(string name, string protocol, GatewayBenchCell? over, GatewayBenchCell? under, double target)
    {
        if (Missing(over, under, c => c.Throughput is > 0) is { } why)
        {
            return new GatewayBenchCheck(name, protocol, null, "×", AtLeast: true, target, why);
        }

        var value = over!.Throughput!.Value / under!.Throughput!.Value;
        return new GatewayBenchCheck(name, protocol, value, "×", AtLeast: true, target,
            $"{Format.Int(over.Throughput.Value)} ÷ {Format.Int(under.Throughput.Value)} req/s{Errors(over, under)}");
    }

    private static GatewayBenchCheck AddedP50(string protocol, GatewayBenchCell? gateway, GatewayBenchCell? direct)
    {
        var name = $"p50 added by the gateway, c={LatencyConcurrency}";
        if (Missing(gateway, direct, c => c.P50Micros is not null) is { } why)
        {
            return new GatewayBenchCheck(name, protocol, null, "ms", AtLeast: false, MaxAddedP50Millis, why);
        }

        var added = (gateway!.P50Micros!.Value - direct!.P50Micros!.Value) / 1000.0;
        return new GatewayBenchCheck(name, protocol, added, "ms", AtLeast: false, MaxAddedP50Millis,
            $"{Format.Micros(gateway.P50Micros.Value)} − {Format.Micros(direct.P50Micros.Value)}{Errors(gateway, direct)}");
    }

    /// <summary>Why a check has no value: a cell absent, skipped, failed, or without the figure; null when both have it.</summary>
    private static string? Missing(GatewayBenchCell? over, GatewayBenchCell? under, Func<GatewayBenchCell, bool> hasFigure)
    {
        foreach (var cell in new[] { over, under })
        {
            if (cell is null)
            {
                return "a cell it needs was not in this run";
            }

            var label = $"{cell.Target.ToName()} c={cell.Concurrency}";
            if (cell.Skipped is { } skipped)
            {
                return $"{label} skipped: {skipped}";
            }

            if (cell.Error is { } error)
            {
                return $"{label} did not run: {error}";
            }

            if (!hasFigure(cell))
            {
                return $"{label} had no successful request";
            }
        }

        return null;
    }

    private static string Errors(GatewayBenchCell a, GatewayBenchCell b)
    {
        var failed = (a.Report?.Failed ?? 0) + (b.Report?.Failed ?? 0);
        return failed > 0 ? $" ({Format.Int(failed)} failed requests in these cells)" : string.Empty;
    }

    private static GatewayBenchCell? Find(IReadOnlyList<GatewayBenchCell> cells, ProxyTarget target, string protocol, int concurrency) =>
        cells.FirstOrDefault(c => c.Target == target && c.Protocol == protocol && c.Concurrency == concurrency);
}
