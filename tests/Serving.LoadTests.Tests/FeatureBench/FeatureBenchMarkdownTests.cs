using Serving.LoadTests.FeatureBench;

namespace Serving.LoadTests.Tests.FeatureBench;

public sealed class FeatureBenchMarkdownTests
{
    [Theory]
    [InlineData(312L, "+312 µs")]
    [InlineData(0L, "+0 µs")]
    [InlineData(-40L, "−40 µs")]
    [InlineData(14_000L, "+14.0 ms")]
    [InlineData(null, "n/a")]
    public void Added_SignedMicros(long? micros, string expected)
    {
        Assert.Equal(expected, FeatureBenchMarkdown.Added(micros));
    }

    [Fact]
    public void Render_BothNearCacheSettings_SummaryWithTargetsAndVerdicts()
    {
        var offLookup = FeatureReports.Arm("off", FeatureArm.Lookup, 4000, p99Micros: 2400, storeCalls: 100);
        var offInline = FeatureReports.Arm("off", FeatureArm.Inline, 5000, p99Micros: 2000);
        var onLookup = FeatureReports.Arm("on", FeatureArm.Lookup, 4900, p99Micros: 4100, storeCalls: 10, hits: 900, misses: 100);
        var onInline = FeatureReports.Arm("on", FeatureArm.Inline, 5000, p99Micros: 2000);
        var agreement = new FormAgreement(8, 0, 0);
        var report = FeatureReports.Report(
            [offInline, offLookup, onInline, onLookup],
            [FeatureComparison.From(offLookup, offInline, 0, agreement), FeatureComparison.From(onLookup, onInline, 1000, agreement)]);

        var md = FeatureBenchMarkdown.Render(report);

        Assert.Contains("| hash (as shipped) | off (TTL 0: every entity from Redis) | +100 µs | +400 µs | ≤ 1,000 µs | met | +400 µs | 1.000 | 1 | met | 4,000 / 5,000 req/s (0.80×) |", md);
        Assert.Contains("| hash (as shipped) | on (TTL 1000 ms) | +525 µs | +2,100 µs | ≤ 1,000 µs | **not met** | +2,100 µs | 0.100 (1.000 per batch that called Redis) | 1 | met |", md);
        Assert.Contains("| hash | off | 1 | lookup | 20,000 | 0 | 4,000 |", md);
        Assert.Contains("| hash | on | 1 | lookup | 24,500 | 0 | 4,900 | 1,025 µs | 2,050 µs | 4,100 µs |", md); // p50 = p99/4, p90 = p99/2 in the hand-built report
        Assert.Contains("| 90.0 % |", md);
        Assert.Contains("| hash | off | 1 | lookup | 100 (script) | 5,000 | 100 | 100 | 1.000 | 1.000 | 50.0 |", md);
        Assert.Contains("| hash | off | 1 | inline | 0 | 0 | 100 | 0 | 0.000 | n/a | – |", md);
        Assert.Contains("same outputs (max |Δ| 0)", md);
        Assert.Contains("569 entities × 30 fields", md);
    }

    [Fact]
    public void Render_PackedLayout_OwnRowsAndMgetRoundTrips()
    {
        var inline = FeatureReports.Arm("off", FeatureArm.Inline, 5000, 2000) with { Layout = "packed" };
        var lookup = FeatureReports.Arm("off", FeatureArm.Lookup, 4800, 2300, storeCalls: 100, misses: 800) with { Layout = "packed" };
        lookup = lookup with { RoundTrips = RoundTrips.From(CommandStats.Parse("cmdstat_mget:calls=100,usec=1\n"), 100, 100, keysFetched: 800) };

        var report = FeatureReports.Report([inline, lookup], [FeatureComparison.From(lookup, inline, 0, new FormAgreement(8, 0, 0))]);

        var md = FeatureBenchMarkdown.Render(report);
        var shipped = FeatureBenchMarkdown.Render(report with { ShippedLayout = "packed" });

        Assert.Contains("| packed | off (TTL 0: every entity from Redis) | +", md);
        Assert.Contains("| packed (as shipped) | off (TTL 0: every entity from Redis) | +", shipped);
        Assert.Contains("| packed | off | 1 | lookup | 100 (mget) | 800 | 100 | 100 | 1.000 | 1.000 | 8.0 |", md);
        Assert.Contains("- layout packed, near cache off: the first 8 entities", md);
    }

    [Fact]
    public void Render_ArmThatDidNotRunAndDisagreement_AreSaid()
    {
        var failed = new FeatureArm("off", FeatureArm.Lookup, null, "gRPC Unavailable: a | b", null, null, null);
        var inline = FeatureReports.Arm("off", FeatureArm.Inline, 5000, 2000);
        var report = FeatureReports.Report([inline, failed], [FeatureComparison.From(failed, inline, 0, new FormAgreement(8, 0.5, 3))]) with { StoppedEarly = "cancelled" };

        var md = FeatureBenchMarkdown.Render(report);

        Assert.Contains("| hash | off | 1 | lookup | did not run: gRPC Unavailable: a / b |", md);
        Assert.Contains("| n/a | n/a | ≤ 1,000 µs | n/a | n/a | n/a | 1 | n/a | n/a / 5,000 req/s |", md);
        Assert.Contains("**outputs differ** (max |Δ| 0.5, 3 answer(s) with defaulted rows)", md);
        Assert.Contains("**Stopped early:** cancelled.", md);
    }

    [Fact]
    public void Render_LookupRowsDefaulted_WarnsThatTheTailIsCut()
    {
        var inline = FeatureReports.Arm("off", FeatureArm.Inline, 5000, 2000);
        var lookup = FeatureReports.Arm("off", FeatureArm.Lookup, 4000, 2400, storeCalls: 100);
        lookup = lookup with { Worker = lookup.Worker! with { DefaultedRows = 34, StoreErrors = 1, BreakerRefusals = 500 } };
        var clean = FeatureBenchMarkdown.Render(FeatureReports.Report([inline, FeatureReports.Arm("off", FeatureArm.Lookup, 4000, 2400, storeCalls: 100)], []));

        var md = FeatureBenchMarkdown.Render(FeatureReports.Report([inline, lookup], []) with { StoreTimeoutMs = 250 });

        Assert.Contains("**Layout hash, near cache off: 34 row(s) got defaults; 1 Redis call(s) timed out or failed and the circuit breaker then refused 500 lookup(s)**", md);
        Assert.Contains("| 34 | 1 | 500 |", md);
        Assert.Contains("Worker's Redis call timeout: 250 ms (set by the bench).", md);
        Assert.DoesNotContain("got defaults", clean);
        Assert.Contains("the worker's default (100 ms)", clean);
    }

    [Fact]
    public void Render_Rounds_MedianBesideEachRound_ArmsByRound()
    {
        var inline1 = FeatureReports.Arm("off", FeatureArm.Inline, 5000, 2000);
        var lookup1 = FeatureReports.Arm("off", FeatureArm.Lookup, 4000, 2900, storeCalls: 100);
        var lookup2 = FeatureReports.Arm("off", FeatureArm.Lookup, 4000, 2300, storeCalls: 100) with { Round = 2 };
        var inline2 = FeatureReports.Arm("off", FeatureArm.Inline, 5000, 2100) with { Round = 2 };
        var report = FeatureReports.Report(
            [inline1, lookup1, lookup2, inline2],
            [FeatureComparison.From([(lookup1, inline1), (lookup2, inline2)], 0, new FormAgreement(8, 0, 0))]) with { Rounds = 2 };

        var md = FeatureBenchMarkdown.Render(report);

        // Rounds: +900 and +200 µs; the median of two is their mean.
        Assert.Contains("| +550 µs | ≤ 1,000 µs | met | +900 µs, +200 µs | 1.000 |", md);
        Assert.Contains("| hash | off | 2 | lookup | 20,000 |", md);
        Assert.Contains("| hash | off | 2 | inline | 25,000 |", md);
        Assert.Contains("2 round(s) of both arms per worker (ABBA", md);
    }
}
