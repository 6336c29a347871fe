namespace Serving.LoadTests.FeatureBench;

/// <summary>What the lookup adds with one layout and near-cache setting: the lookup arm minus the inline arm on the same worker.</summary>
/// <param name="NearCache"><c>off</c> or <c>on</c>.</param>
/// <param name="NearCacheTtlMs">The TTL written into model.yaml (0 = off).</param>
/// <param name="AddedP50Micros">p50 of lookup − p50 of inline; null when an arm did not run.</param>
/// <param name="AddedP99Micros">p99 of lookup − p99 of inline.</param>
/// <param name="LookupRequestsPerSecond">Throughput of the lookup arm.</param>
/// <param name="InlineRequestsPerSecond">Throughput of the inline arm.</param>
/// <param name="RoundTrips">Redis round trips per batch in the lookup arm.</param>
/// <param name="Agreement">Both forms on the first entities, before the load.</param>
/// <param name="Layout">How Redis held the entities: <c>hash</c> or <c>packed</c>.</param>
internal sealed record FeatureComparison(
    string NearCache,
    int NearCacheTtlMs,
    long? AddedP50Micros,
    long? AddedP99Micros,
    double? LookupRequestsPerSecond,
    double? InlineRequestsPerSecond,
    RoundTrips? RoundTrips,
    FormAgreement? Agreement,
    string Layout = "hash")
{
    /// <summary>The target for <see cref="AddedP99Micros"/>: 1 ms (Feast documents p99 &lt; 1.5 ms for its Redis online store).</summary>
    public const long AddedP99TargetMicros = 1000;

    /// <summary>True when the p99 added is known and within the target.</summary>
    public bool P99TargetMet => AddedP99Micros is { } added && added <= AddedP99TargetMicros;

    /// <summary>Lookup throughput over inline throughput; null when either is unknown.</summary>
    public double? ThroughputRatio => LookupRequestsPerSecond is { } l && InlineRequestsPerSecond is { } i && i > 0 ? l / i : null;

    /// <summary>Compares the two arms of one near-cache setting.</summary>
    public static FeatureComparison From(FeatureArm lookup, FeatureArm inline, int ttlMs, FormAgreement? agreement)
    {
        var l = lookup.Report is { Succeeded: > 0 } lr ? lr : null;
        var i = inline.Report is { Succeeded: > 0 } ir ? ir : null;
        return new FeatureComparison(
            lookup.NearCache,
            ttlMs,
            l is not null && i is not null ? l.Latency.P50Micros - i.Latency.P50Micros : null,
            l is not null && i is not null ? l.Latency.P99Micros - i.Latency.P99Micros : null,
            l?.RequestsPerSecond,
            i?.RequestsPerSecond,
            lookup.RoundTrips,
            agreement,
            lookup.Layout);
    }
}
