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
}
