using Serving.LoadTests.FeatureBench;

namespace Serving.LoadTests.Tests.FeatureBench;

public sealed class RoundTripsTests
{
    [Fact]
    public void From_ScriptCalls_AreTheRoundTrips_HmgetsInsideAreEntitiesRead()
    {
        var delta = CommandStats.Parse("cmdstat_evalsha:calls=200,usec=1\ncmdstat_hmget:calls=12800,usec=1\ncmdstat_info:calls=4,usec=1\n");

        var trips = RoundTrips.From(delta, batches: 200, batchesNeedingStore: 200);

        Assert.Equal("script", trips.Via);
        Assert.Equal(200, trips.StoreCalls);
        Assert.Equal(12800, trips.KeysRead);
        Assert.Equal(1.0, trips.PerBatch);
        Assert.Equal(1.0, trips.PerStoreBatch);
        Assert.Equal(64.0, trips.KeysPerCall);
        Assert.True(trips.TargetMet);
    }

    [Fact]
    public void From_EvalAndEvalshaTogether_BothCount()
    {
        var delta = CommandStats.Parse("cmdstat_eval:calls=1,usec=1\ncmdstat_evalsha:calls=99,usec=1\ncmdstat_hmget:calls=100,usec=1\n");

        Assert.Equal(100, RoundTrips.From(delta, 100, 100).StoreCalls);
    }

    [Fact]
    public void From_NoScripts_EveryPlainReadIsARoundTrip()
    {
        var delta = CommandStats.Parse("cmdstat_hmget:calls=640,usec=1\n");

        var trips = RoundTrips.From(delta, batches: 10, batchesNeedingStore: 10);

        Assert.Equal("plain reads", trips.Via);
        Assert.Equal(640, trips.StoreCalls);
        Assert.Equal(64.0, trips.PerBatch);
        Assert.False(trips.TargetMet);
    }

    [Fact]
    public void From_Mgets_AreTheRoundTrips_EntitiesFromTheWorker()
    {
        var delta = CommandStats.Parse("cmdstat_mget:calls=50,usec=1\ncmdstat_info:calls=4,usec=1\n");

        var trips = RoundTrips.From(delta, batches: 50, batchesNeedingStore: 50, keysFetched: 400);

        Assert.Equal("mget", trips.Via);
        Assert.Equal(50, trips.StoreCalls);
        Assert.Equal(400, trips.KeysRead);
        Assert.Equal(8.0, trips.KeysPerCall);
        Assert.True(trips.TargetMet);
    }

    [Fact]
    public void From_MgetsAndHashReads_BothCountAsRoundTrips()
    {
        var delta = CommandStats.Parse("cmdstat_mget:calls=10,usec=1\ncmdstat_hmget:calls=10,usec=1\n");

        var trips = RoundTrips.From(delta, batches: 10, batchesNeedingStore: 10, keysFetched: 80);

        Assert.Equal(20, trips.StoreCalls);
        Assert.Equal(2.0, trips.PerBatch);
        Assert.False(trips.TargetMet);
    }

    [Fact]
    public void From_TwoCallsPerBatch_MissesTheTarget()
    {
        var trips = RoundTrips.From(CommandStats.Parse("cmdstat_evalsha:calls=20,usec=1\n"), batches: 10, batchesNeedingStore: 10);

        Assert.Equal(2.0, trips.PerBatch);
        Assert.False(trips.TargetMet);
    }

    [Fact]
    public void From_NearCacheServedMostBatches_PerBatchBelowOne_PerStoreBatchOne()
    {
        var trips = RoundTrips.From(CommandStats.Parse("cmdstat_evalsha:calls=30,usec=1\n"), batches: 300, batchesNeedingStore: 30);

        Assert.Equal(0.1, trips.PerBatch!.Value, 9);
        Assert.Equal(1.0, trips.PerStoreBatch);
        Assert.True(trips.TargetMet);
    }

    [Fact]
    public void From_TwoCallsPerBatchThatCalledRedis_MissesTheTargetThoughBelowOnePerBatch()
    {
        var trips = RoundTrips.From(CommandStats.Parse("cmdstat_evalsha:calls=60,usec=1\n"), batches: 300, batchesNeedingStore: 30);

        Assert.Equal(0.2, trips.PerBatch!.Value, 9);
        Assert.Equal(2.0, trips.PerStoreBatch);
        Assert.False(trips.TargetMet);
    }

    [Fact]
    public void From_NoBatches_NothingToDivideBy()
    {
        var trips = RoundTrips.From(CommandStats.Empty, batches: 0, batchesNeedingStore: 0);

        Assert.Null(trips.PerBatch);
        Assert.Null(trips.PerStoreBatch);
        Assert.Null(trips.KeysPerCall);
        Assert.False(trips.TargetMet);
    }
}
