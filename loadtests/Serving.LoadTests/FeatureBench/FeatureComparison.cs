namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// What the lookup adds with one layout and near-cache setting: the lookup arm minus the inline arm on the same
/// worker, per round, and the median over the rounds (a difference of two p99s moves a lot on a shared machine).
/// </summary>
/// <param name="NearCache"><c>off</c> or <c>on</c>.</param>
/// <param name="NearCacheTtlMs">The TTL written into model.yaml (0 = off).</param>
/// <param name="AddedP50Micros">Median over the rounds of p50 of lookup − p50 of inline; null when no round has both arms.</param>
/// <param name="AddedP99Micros">Median over the rounds of p99 of lookup − p99 of inline.</param>
/// <param name="LookupRequestsPerSecond">Mean throughput of the lookup arms.</param>
/// <param name="InlineRequestsPerSecond">Mean throughput of the inline arms.</param>
/// <param name="RoundTrips">Redis round trips per batch over every lookup arm.</param>
/// <param name="Agreement">Both forms on the first entities, before the load.</param>
/// <param name="Layout">How Redis held the entities: <c>hash</c> or <c>packed</c>.</param>
/// <param name="AddedP99ByRound">p99 added in each round that has both arms, in round order.</param>
internal sealed record FeatureComparison(
    string NearCache,
    int NearCacheTtlMs,
    long? AddedP50Micros,
    long? AddedP99Micros,
    double? LookupRequestsPerSecond,
    double? InlineRequestsPerSecond,
    RoundTrips? RoundTrips,
    FormAgreement? Agreement,
    string Layout = "hash",
    IReadOnlyList<long>? AddedP99ByRound = null)
{
    /// <summary>The target for <see cref="AddedP99Micros"/>: 1 ms (Feast documents p99 &lt; 1.5 ms for its Redis online store).</summary>
    public const long AddedP99TargetMicros = 1000;

    /// <summary>True when the p99 added is known and within the target.</summary>
    public bool P99TargetMet => AddedP99Micros is { } added && added <= AddedP99TargetMicros;

    /// <summary>Lookup throughput over inline throughput; null when either is unknown.</summary>
    public double? ThroughputRatio => LookupRequestsPerSecond is { } l && InlineRequestsPerSecond is { } i && i > 0 ? l / i : null;

    /// <summary>Compares the two arms of one near-cache setting (one round).</summary>
    public static FeatureComparison From(FeatureArm lookup, FeatureArm inline, int ttlMs, FormAgreement? agreement) =>
        From([(lookup, inline)], ttlMs, agreement);

    /// <summary>Compares the arms of one near-cache setting over its rounds (each a lookup arm and an inline arm).</summary>
    public static FeatureComparison From(IReadOnlyList<(FeatureArm Lookup, FeatureArm Inline)> rounds, int ttlMs, FormAgreement? agreement)
    {
        var measured = rounds
            .Select(r => (Lookup: r.Lookup.Report is { Succeeded: > 0 } l ? l : null, Inline: r.Inline.Report is { Succeeded: > 0 } i ? i : null))
            .ToList();
        var paired = measured.Where(r => r.Lookup is not null && r.Inline is not null).ToList();
        var p99 = paired.Select(r => r.Lookup!.Latency.P99Micros - r.Inline!.Latency.P99Micros).ToList();
        var p50 = paired.Select(r => r.Lookup!.Latency.P50Micros - r.Inline!.Latency.P50Micros).ToList();
        var lookups = measured.Where(r => r.Lookup is not null).Select(r => r.Lookup!.RequestsPerSecond).ToList();
        var inlines = measured.Where(r => r.Inline is not null).Select(r => r.Inline!.RequestsPerSecond).ToList();
        var first = rounds[0].Lookup;
        return new FeatureComparison(
            first.NearCache,
            ttlMs,
            Median(p50),
            Median(p99),
            lookups.Count > 0 ? lookups.Average() : null,
            inlines.Count > 0 ? inlines.Average() : null,
            FeatureBench.RoundTrips.Sum(rounds.Select(r => r.Lookup.RoundTrips)),
            agreement,
            first.Layout,
            p99);
    }

    /// <summary>The median, rounded to the microsecond (the mean of the middle two for an even count); null when empty.</summary>
    internal static long? Median(IReadOnlyList<long> values) =>
        Reporting.Median.Of([.. values.Select(v => (double)v)]) is { } median ? (long)Math.Round(median, MidpointRounding.AwayFromZero) : null;
}
