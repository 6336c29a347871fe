using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.GatewayBench;

/// <summary>
/// The issue's targets, computed from one run's cells. Each figure is computed per round from that round's two cells
/// (a ratio never divides cells of different rounds), and the figure printed is the median over the rounds that have
/// both cells.
/// </summary>
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

    private const string NotInRun = "a cell it needs was not in this run";

    /// <summary>One cell's figure, how a round's two figures combine, and how they are shown.</summary>
    /// <param name="Of">The cell's figure; null when it has none.</param>
    /// <param name="Combine">The round's value from the first cell's figure and the second's.</param>
    /// <param name="Show">The two figures as printed: <c>6,000 ÷ 10,000 req/s</c>.</param>
    private sealed record Figure(Func<GatewayBenchCell, double?> Of, Func<double, double, double> Combine, Func<double, double, string> Show);

    private static readonly Figure ThroughputRatio = new(
        c => c.Throughput is > 0 ? c.Throughput : null,
        (over, under) => over / under,
        (over, under) => $"{Format.Int(over)} ÷ {Format.Int(under)} req/s");

    private static readonly Figure P50Difference = new(
        c => c.P50Micros,
        (gateway, direct) => (gateway - direct) / 1000.0,
        (gateway, direct) => $"{Format.Micros(gateway)} − {Format.Micros(direct)}");

    /// <summary>Per protocol present in <paramref name="cells"/>: gateway ÷ direct, gateway ÷ nginx, added p50.</summary>
    public static IReadOnlyList<GatewayBenchCheck> Compute(IReadOnlyList<GatewayBenchCell> cells) =>
        cells.Select(c => c.Protocol).Distinct().SelectMany(p => For(cells, p)).ToList();

    private static IEnumerable<GatewayBenchCheck> For(IReadOnlyList<GatewayBenchCell> cells, string protocol)
    {
        yield return Paired(new($"gateway ÷ direct throughput, c={ThroughputConcurrency}", protocol, null, "×", AtLeast: true, MinGatewayOverDirect, string.Empty),
            cells, ProxyTarget.Gateway, ProxyTarget.Direct, ThroughputConcurrency, ThroughputRatio);
        yield return Paired(new($"gateway ÷ nginx throughput, c={ThroughputConcurrency}", protocol, null, "×", AtLeast: true, MinGatewayOverNginx, string.Empty),
            cells, ProxyTarget.Gateway, ProxyTarget.Nginx, ThroughputConcurrency, ThroughputRatio);
        yield return Paired(new($"p50 added by the gateway, c={LatencyConcurrency}", protocol, null, "ms", AtLeast: false, MaxAddedP50Millis, string.Empty),
            cells, ProxyTarget.Gateway, ProxyTarget.Direct, LatencyConcurrency, P50Difference);
    }

    /// <summary>
    /// <paramref name="check"/> with its value and detail: per round, <paramref name="figure"/> of the
    /// <paramref name="first"/> cell and the <paramref name="second"/> cell of that round; the median over the rounds
    /// that have both. With one round the detail is the two figures alone; with more, each round's value and figures,
    /// and the rounds left out with why.
    /// </summary>
    private static GatewayBenchCheck Paired(GatewayBenchCheck check, IReadOnlyList<GatewayBenchCell> cells, ProxyTarget first, ProxyTarget second, int concurrency, Figure figure)
    {
        var group = cells.Where(c => c.Protocol == check.Protocol && c.Concurrency == concurrency && (c.Target == first || c.Target == second)).ToList();
        if (!group.Any(c => c.Target == first) || !group.Any(c => c.Target == second))
        {
            // A target not in the run (--targets) misses from every round alike: say it once.
            return check with { Detail = NotInRun };
        }

        var rounds = group.Select(c => c.Round).Distinct().Order().ToList();
        var kept = new List<(double Value, string Shown, GatewayBenchCell A, GatewayBenchCell B)>();
        var leftOut = new List<(int Round, string Why)>();
        foreach (var round in rounds)
        {
            var a = group.FirstOrDefault(c => c.Target == first && c.Round == round);
            var b = group.FirstOrDefault(c => c.Target == second && c.Round == round);
            if (Missing(a, b, c => figure.Of(c) is not null) is { } why)
            {
                leftOut.Add((round, why));
                continue;
            }

            var (x, y) = (figure.Of(a!)!.Value, figure.Of(b!)!.Value);
            kept.Add((figure.Combine(x, y), figure.Show(x, y), a!, b!));
        }

        if (rounds.Count == 1)
        {
            return kept.Count == 1
                ? check with { Value = kept[0].Value, Detail = kept[0].Shown + Errors(kept[0].A, kept[0].B) }
                : check with { Detail = leftOut[0].Why };
        }

        var without = LeftOut(leftOut);
        if (kept.Count == 0)
        {
            return check with { Detail = $"no round has both cells: {without}" };
        }

        var each = string.Join(", ", kept.Select(k => $"{GatewayBenchMarkdown.Value(k.Value, check.Unit)} ({k.Shown})"));
        var of = kept.Count == rounds.Count ? $"median of {kept.Count} rounds" : kept.Count == 1 ? $"1 of {rounds.Count} rounds" : $"median of {kept.Count} of {rounds.Count} rounds";
        var detail = $"{of}: {each}{Errors([.. kept.SelectMany(k => new[] { k.A, k.B })])}"
            + (leftOut.Count > 0 ? $"; left out: {without}" : string.Empty);
        return check with { Value = Median.Of([.. kept.Select(k => k.Value)]), Detail = detail };
    }

    /// <summary>The rounds left out, those with the same reason together: <c>rounds 1, 3: nginx c=64 skipped: …</c>.</summary>
    private static string LeftOut(IEnumerable<(int Round, string Why)> rounds) => string.Join("; ", rounds
        .GroupBy(r => r.Why)
        .Select(g => $"{(g.Count() == 1 ? "round" : "rounds")} {string.Join(", ", g.Select(r => r.Round))}: {g.Key}"));

    /// <summary>Why a check has no value: a cell absent, skipped, failed, or without the figure; null when both have it.</summary>
    private static string? Missing(GatewayBenchCell? over, GatewayBenchCell? under, Func<GatewayBenchCell, bool> hasFigure)
    {
        foreach (var cell in new[] { over, under })
        {
            if (cell is null)
            {
                return NotInRun;
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

    private static string Errors(params IReadOnlyList<GatewayBenchCell> cells)
    {
        var failed = cells.Sum(c => c.Report?.Failed ?? 0);
        return failed > 0 ? $" ({Format.Int(failed)} failed requests in these cells)" : string.Empty;
    }
}
