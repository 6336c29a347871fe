using Serving.Drift.Tests.TestSupport;
using Serving.Drift.Windows;

namespace Serving.Drift.Tests.Windows;

public sealed class DriftWindowTests
{
    [Fact]
    public void Add_BeyondCapacity_KeepsNewestRecordsOldestFirst()
    {
        var window = new DriftWindow(2, new DriftWindowOptions { Capacity = 3 });
        for (int i = 1; i <= 5; i++)
        {
            window.Add([i, 10 * i], 100 * i);
        }

        DriftWindowSnapshot snapshot = window.Snapshot();

        Assert.Equal(3, snapshot.Count);
        Assert.Equal([3.0, 4, 5], snapshot.Feature(0).ToArray());
        Assert.Equal([30.0, 40, 50], snapshot.Feature(1).ToArray());
        Assert.Equal([300.0, 400, 500], snapshot.Prediction.ToArray());
    }

    [Fact]
    public void Snapshot_RecordsOlderThanMaxAge_AreLeftOut()
    {
        var time = new ManualTimeProvider();
        var window = new DriftWindow(1, new DriftWindowOptions { Capacity = 10, MaxAge = TimeSpan.FromSeconds(60) }, time);
        window.Add([1], 0);
        time.Advance(TimeSpan.FromSeconds(30));
        window.Add([2], 0);
        time.Advance(TimeSpan.FromSeconds(30));
        window.Add([3], 0);

        // Ages 60, 30, 0: exactly MaxAge is still kept.
        Assert.Equal([1.0, 2, 3], window.Snapshot().Feature(0).ToArray());

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([2.0, 3], window.Snapshot().Feature(0).ToArray());

        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Empty(window.Snapshot().Feature(0).ToArray());
    }

    [Fact]
    public void Add_AfterRecordsExpire_EvictsThemAndWrapsTheRing()
    {
        var time = new ManualTimeProvider();
        var window = new DriftWindow(1, new DriftWindowOptions { Capacity = 3, MaxAge = TimeSpan.FromSeconds(10) }, time);
        window.Add([1], 1);
        window.Add([2], 2);
        time.Advance(TimeSpan.FromSeconds(11));
        window.Add([3], 3);

        // The writer evicts the two expired records before appending.
        Assert.Equal(1, window.Count);
        window.Add([4], 4);
        window.Add([5], 5);

        Assert.Equal(3, window.Count);
        DriftWindowSnapshot snapshot = window.Snapshot();
        Assert.Equal([3.0, 4, 5], snapshot.Feature(0).ToArray());
        Assert.Equal([3.0, 4, 5], snapshot.Prediction.ToArray());
    }

    [Fact]
    public void Snapshot_LaterWrites_DoNotChangeIt()
    {
        var window = new DriftWindow(1, new DriftWindowOptions { Capacity = 2 });
        window.Add([1], 10);
        window.Add([2], 20);
        DriftWindowSnapshot before = window.Snapshot();

        window.Add([3], 30);
        window.Add([4], 40);

        Assert.Equal([1.0, 2], before.Feature(0).ToArray());
        Assert.Equal([10.0, 20], before.Prediction.ToArray());
        Assert.Equal([3.0, 4], window.Snapshot().Feature(0).ToArray());
    }

    [Fact]
    public void Snapshot_TakenAt_ComesFromTimeProvider()
    {
        var time = new ManualTimeProvider();
        var window = new DriftWindow(1, timeProvider: time);
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(time.GetUtcNow(), window.Snapshot().TakenAt);
    }

    [Fact]
    public void Add_WrongFeatureCount_Throws()
    {
        var window = new DriftWindow(3);

        Assert.Throws<ArgumentException>(() => window.Add([1, 2], 0));
    }

    [Fact]
    public void Constructor_ZeroCapacity_ThrowsNamingOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DriftWindow(1, new DriftWindowOptions { Capacity = 0 }));

        Assert.Equal("Capacity", error.ParamName);
    }

    [Fact]
    public void Constructor_NegativeMaxAge_ThrowsNamingOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DriftWindow(1, new DriftWindowOptions { MaxAge = TimeSpan.FromSeconds(-1) }));

        Assert.Equal("MaxAge", error.ParamName);
    }
}
