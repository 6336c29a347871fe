using Serving.Gateway.Rollback;

namespace Serving.Gateway.Tests.Rollback;

public sealed class OutcomeWindowTests
{
    [Fact]
    public void Sum_CountsEverySecondInTheWindow()
    {
        var window = new OutcomeWindow(5);
        window.Record(100, failed: false, slow: false);
        window.Record(101, failed: true, slow: false);
        window.Record(104, failed: true, slow: true);

        Assert.Equal(new OutcomeCounts(3, 2, 1), window.Sum(104));
    }

    [Fact]
    public void Sum_LeavesOutSecondsOlderThanTheWindow()
    {
        var window = new OutcomeWindow(5);
        window.Record(100, failed: true, slow: false);
        window.Record(103, failed: false, slow: false);

        Assert.Equal(new OutcomeCounts(2, 1, 0), window.Sum(104));
        Assert.Equal(new OutcomeCounts(1, 0, 0), window.Sum(105));
        Assert.Equal(default, window.Sum(108));
    }

    [Fact]
    public void Record_SecondThatReusesASlot_StartsItFromZero()
    {
        var window = new OutcomeWindow(5);
        for (var i = 0; i < 10; i++)
        {
            window.Record(100, failed: true, slow: true);
        }

        // 105 lands in 100's slot: the old counts must go, not add up.
        window.Record(105, failed: false, slow: false);

        Assert.Equal(new OutcomeCounts(1, 0, 0), window.Sum(105));
    }

    [Fact]
    public void Record_OlderThanTheSlotsSecond_Dropped()
    {
        var window = new OutcomeWindow(5);
        window.Record(105, failed: false, slow: false);

        window.Record(100, failed: true, slow: false);

        Assert.Equal(new OutcomeCounts(1, 0, 0), window.Sum(105));
    }

    [Fact]
    public void Sum_FutureSlotsLeftOut()
    {
        var window = new OutcomeWindow(5);
        window.Record(110, failed: true, slow: false);

        Assert.Equal(default, window.Sum(108));
    }

    [Fact]
    public async Task Record_ConcurrentWithinASecond_NothingLost()
    {
        var window = new OutcomeWindow(60);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                window.Record(7, failed: i % 10 == 0, slow: false);
            }
        })));

        Assert.Equal(new OutcomeCounts(40_000, 4_000, 0), window.Sum(7));
    }

    [Fact]
    public void P99_OfTheAnsweredLatenciesInTheWindow_RoundedUpToItsBucket_OnlyWhereKept()
    {
        var window = new OutcomeWindow(5, latencies: true);
        Assert.Null(window.P99(100));
        for (var i = 0; i < 99; i++)
        {
            window.Record(100, failed: false, slow: false, answeredSeconds: 0.004);
        }

        window.Record(101, failed: false, slow: false, answeredSeconds: 0.030);
        window.Record(101, failed: true, slow: false); // not an answer: no latency

        // 99 of 100 answers at 4 ms: the p99 is 4 ms, rounded up to the bucket's bound (100 µs × √2^11 ≈ 4.5 ms).
        var p99 = window.P99(101)!.Value;
        Assert.InRange(p99.TotalSeconds, 0.004, 0.004 * Math.Sqrt(2));
        Assert.Equal(OutcomeWindow.Bound(OutcomeWindow.Bucket(0.004)), p99.TotalSeconds, 6);

        // Second 100 leaves the window: the one answer left is the 30 ms one.
        Assert.InRange(window.P99(105)!.Value.TotalSeconds, 0.030, 0.030 * Math.Sqrt(2));
        Assert.Null(window.P99(106));
        Assert.Null(new OutcomeWindow(5).P99(100));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.0001, 0)]
    [InlineData(0.00010001, 1)]
    [InlineData(0.0002, 2)]
    [InlineData(1e6, OutcomeWindow.Buckets - 1)]
    public void Bucket_TheFirstWhoseBoundTheLatencyDoesNotExceed(double seconds, int bucket)
    {
        Assert.Equal(bucket, OutcomeWindow.Bucket(seconds));
    }

    [Fact]
    public void Rotation_ClearsTheSlotsLatencies()
    {
        var window = new OutcomeWindow(5, latencies: true);
        window.Record(100, failed: false, slow: false, answeredSeconds: 0.5);
        window.Record(105, failed: false, slow: false, answeredSeconds: 0.001); // same slot, five seconds on

        Assert.InRange(window.P99(105)!.Value.TotalSeconds, 0.001, 0.001 * Math.Sqrt(2));
    }
}
