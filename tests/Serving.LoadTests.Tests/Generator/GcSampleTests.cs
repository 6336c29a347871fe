using Serving.LoadTests.Generator;

namespace Serving.LoadTests.Tests.Generator;

public sealed class GcSampleTests
{
    [Fact]
    public void Since_CountsEachCollectionOnceByItsGeneration_AndThePausedShareOfTheWallTime()
    {
        // CollectionCount(0) counts every collection, (1) the gen1 and gen2 ones, (2) the gen2 ones.
        var start = new GcSample(0, Gen0: 10, Gen1: 4, Gen2: 1, Paused: TimeSpan.FromMilliseconds(50));
        var end = new GcSample(Timestamps.FromSeconds(4), Gen0: 40, Gen1: 9, Gen2: 2, Paused: TimeSpan.FromMilliseconds(250));

        var usage = end.Since(start);

        Assert.Equal((25, 4, 1), (usage.Gen0, usage.Gen1, usage.Gen2));
        Assert.Equal(0.05, usage.PausedShare, 6);
        Assert.Equal("5.0% (25 / 4 / 1)", usage.ToString());
    }

    [Fact]
    public void Take_AfterACollection_SeesIt()
    {
        var before = GcSample.Take();
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);

        var usage = GcSample.Take().Since(before);

        Assert.True(usage.Gen1 + usage.Gen2 >= 1, $"no gen1 or gen2 collection seen: {usage}");
    }
}
