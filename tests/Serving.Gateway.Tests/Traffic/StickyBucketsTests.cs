using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Traffic;

public sealed class StickyBucketsTests
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 100_000).Select(i => $"user-{i}")];

    [Fact]
    public void Of_SameKey_SameBucket_AcrossCalls()
    {
        Assert.Equal(StickyBuckets.Of("tabular", "user-42"), StickyBuckets.Of("tabular", "user-42"));
    }

    [Fact]
    public void Of_KnownValue_IsStableAcrossProcessesAndReplicas()
    {
        // FNV-1a + fmix64 is fixed arithmetic: a change here would move every caller's arm.
        Assert.Equal(StickyBuckets.Of("tabular", "user-42"), StickyBuckets.Of(new string("tabular".ToCharArray()), new string("user-42".ToCharArray())));
        Assert.InRange(StickyBuckets.Of("tabular", "user-42"), 0, TrafficPolicy.Buckets - 1);
        Assert.Equal(Expected("tabular", "user-42"), StickyBuckets.Of("tabular", "user-42"));
    }

    /// <summary>
    /// Buckets computed outside .NET from the formula in docs/gateway.md (FNV-1a 64, MurmurHash3's fmix64 with its
    /// published constants 0xff51afd7ed558ccd and 0xc4ceb9fe1a85ec53): what an operator computing arms offline gets.
    /// The finalizer's second constant was mistyped (0xc4ceb3b93fe1a85b), which put about half the keys elsewhere.
    /// </summary>
    [Theory]
    [InlineData("tabular", "user-42", 1145)]
    [InlineData("tabular", "alice", 3790)]
    [InlineData("digits", "user-1", 7165)]
    public void Of_MatchesTheDocumentedFormula_ComputedElsewhere(string model, string key, int bucket)
    {
        Assert.Equal(bucket, StickyBuckets.Of(model, key));
    }

    [Fact]
    public void Of_SequentialKeys_SpreadEvenlyOverBuckets()
    {
        var perDecile = new int[10];
        foreach (var key in Keys)
        {
            perDecile[StickyBuckets.Of("tabular", key) / 1000]++;
        }

        // 10,000 expected per decile; binomial sd is about 95.
        Assert.All(perDecile, n => Assert.InRange(n, 9_500, 10_500));
    }

    [Fact]
    public void Of_DependsOnModel_SoExperimentsAreIndependent()
    {
        var same = Keys.Take(10_000).Count(k => StickyBuckets.Of("a", k) / 1000 == StickyBuckets.Of("b", k) / 1000);
        Assert.InRange(same, 800, 1_200);
    }

    [Fact]
    public void Of_LongAndNonAsciiKeys_Work()
    {
        Assert.InRange(StickyBuckets.Of("tabular", new string('é', 5_000)), 0, TrafficPolicy.Buckets - 1);
        Assert.NotEqual(StickyBuckets.Of("tabular", "ü-1"), StickyBuckets.Of("tabular", "u-1"));
    }

    [Fact]
    public void Sticky_WhileWeightsHold_AKeyNeverChangesVersion()
    {
        var policy = Policy(90, 10);
        var again = Policy(90, 10);
        foreach (var key in Keys.Take(10_000))
        {
            var bucket = StickyBuckets.Of("tabular", key);
            Assert.Equal(policy.PickVersion(bucket), again.PickVersion(StickyBuckets.Of("tabular", key)));
        }
    }

    [Fact]
    public void Sticky_90_10_To_80_20_MovesAboutTenPercent_AllToTheGrownArm()
    {
        var before = Policy(90, 10);
        var after = Policy(80, 20);
        var moved = 0;
        foreach (var key in Keys)
        {
            var bucket = StickyBuckets.Of("tabular", key);
            var (a, b) = (before.PickVersion(bucket), after.PickVersion(bucket));
            if (a != b)
            {
                moved++;
                Assert.Equal(("1", "2"), (a, b));
            }
        }

        Assert.InRange(moved / (double)Keys.Length, 0.08, 0.12);
    }

    [Fact]
    public void Split_90_10_OverRandomBuckets_WithinOnePointFive()
    {
        var policy = Policy(90, 10);
        var random = new Random(7);
        var v2 = Enumerable.Range(0, 10_000).Count(_ => policy.PickVersion(random.Next(TrafficPolicy.Buckets)) == "2");
        Assert.InRange(v2 / 100.0, 8.5, 11.5);
    }

    [Theory]
    [InlineData(0, 100, "2")]
    [InlineData(100, 0, "1")]
    public void Split_AllOrNothing_IsExact(int w1, int w2, string only)
    {
        var policy = Policy(w1, w2);
        for (var bucket = 0; bucket < TrafficPolicy.Buckets; bucket++)
        {
            Assert.Equal(only, policy.PickVersion(bucket));
        }
    }

    private static TrafficPolicy Policy(int w1, int w2) =>
        new("tabular", [new VersionWeight("1", w1), new VersionWeight("2", w2)], "x-user-id", null, null, 1, DateTimeOffset.UnixEpoch, "test");

    // An independent implementation of the documented hash.
    private static int Expected(string model, string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(model + "\0" + key))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return (int)((hash >> 32) * 10_000 >> 32);
    }
}
