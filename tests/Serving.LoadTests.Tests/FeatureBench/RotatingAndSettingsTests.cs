using Serving.LoadTests.FeatureBench;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Tests.FeatureBench;

public sealed class RotatingAndSettingsTests
{
    [Theory]
    [InlineData(64, 569)]
    [InlineData(64, 64)]
    [InlineData(3, 10)]
    public void Share_EveryRequestToExactlyOneCaller(int callers, int requests)
    {
        var shares = Enumerable.Range(0, callers).Select(i => RotatingInferClient.Share(i, callers, requests)).ToList();

        Assert.Equal(Enumerable.Range(0, requests), shares.SelectMany(s => s).Order());
        Assert.All(shares, s => Assert.NotEmpty(s));
    }

    [Fact]
    public void Share_FewerRequestsThanCallers_CallersShareThem()
    {
        Assert.Equal(new[] { 1 }, RotatingInferClient.Share(4, callers: 6, requests: 3));
    }

    [Fact]
    public async Task RotatingCaller_CyclesThroughItsCallers()
    {
        var calls = new List<int>();
        var caller = new RotatingCaller([new Recording(0, calls), new Recording(1, calls), new Recording(2, calls)]);

        for (var i = 0; i < 7; i++)
        {
            await caller.CallAsync(CancellationToken.None);
        }

        Assert.Equal(new[] { 0, 1, 2, 0, 1, 2, 0 }, calls);
    }

    [Fact]
    public void NearCacheSetting_Rewrite_SetsTheTtlAndKeepsTheRest()
    {
        const string yaml = "name: tabular\nfeatures:\n  entity_input: customer_id\n  key_pattern: \"features:customer:{id}\"\n  near_cache_ttl_ms: 1000\n  near_cache_size: 10000\n";

        var rewritten = NearCacheSetting.Rewrite(yaml, 0);

        Assert.Contains("near_cache_ttl_ms: 0", rewritten, StringComparison.Ordinal);
        Assert.Contains("near_cache_size: 10000", rewritten, StringComparison.Ordinal);
        Assert.Contains("features:customer:{id}", rewritten, StringComparison.Ordinal);
        Assert.Contains("entity_input: customer_id", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void NearCacheSetting_Rewrite_WithLayout_SetsItToo_WithoutLeavesIt()
    {
        const string yaml = "name: tabular\nfeatures:\n  key_pattern: \"k:{id}\"\n  layout: hash\n  near_cache_ttl_ms: 1000\n";

        Assert.Contains("layout: packed", NearCacheSetting.Rewrite(yaml, 0, "packed"), StringComparison.Ordinal);
        Assert.Contains("layout: hash", NearCacheSetting.Rewrite(yaml, 0), StringComparison.Ordinal);
    }

    [Fact]
    public void NearCacheSetting_ParseLayout_HashPackedOrError()
    {
        Assert.Equal("packed", NearCacheSetting.ParseLayout(" Packed"));
        Assert.Equal("hash", NearCacheSetting.ParseLayout("hash"));
        Assert.Throws<LoadTestException>(() => NearCacheSetting.ParseLayout("json"));
    }

    [Fact]
    public void NearCacheSetting_NoFeaturesSection_Refused()
    {
        Assert.Throws<LoadTestException>(() => NearCacheSetting.Rewrite("name: plain\n", 0));
    }

    [Fact]
    public void NearCacheSetting_TtlMs_OffIsZero_OnIsTheModelsOrOneSecond()
    {
        Assert.Equal(0, NearCacheSetting.TtlMs(NearCacheMode.Off, 1000));
        Assert.Equal(250, NearCacheSetting.TtlMs(NearCacheMode.On, 250));
        Assert.Equal(1000, NearCacheSetting.TtlMs(NearCacheMode.On, 0));
    }

    [Fact]
    public void NearCacheSetting_Parse_OffOnOrError()
    {
        Assert.Equal(NearCacheMode.Off, NearCacheSetting.Parse(" OFF"));
        Assert.Equal(NearCacheMode.On, NearCacheSetting.Parse("on"));
        Assert.Throws<LoadTestException>(() => NearCacheSetting.Parse("maybe"));
    }

    [Fact]
    public void FormAgreement_MaxDifference()
    {
        Assert.Equal(0.25, FormAgreement.MaxDifference([0.5f, 0.25f], [0.25f, 0.25f]));
        Assert.Equal(double.PositiveInfinity, FormAgreement.MaxDifference([0.5f], [0.5f, 0.5f]));
        Assert.True(new FormAgreement(8, 0, 0).Agrees);
        Assert.False(new FormAgreement(8, 0, 1).Agrees);
        Assert.False(new FormAgreement(0, 0, 0).Agrees);
    }

    private sealed class Recording(int id, List<int> calls) : IInferCaller
    {
        public ValueTask<CallOutcome> CallAsync(CancellationToken cancellationToken)
        {
            calls.Add(id);
            return ValueTask.FromResult(CallOutcome.Ok);
        }
    }
}
