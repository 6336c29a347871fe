using Serving.Worker.PredictionLogs;

namespace Serving.Worker.Tests.PredictionLogs;

public sealed class ReconnectBackoffTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromMilliseconds(1600);

    [Fact]
    public void Next_StepDoublesUpToTheCap_EachWaitWithin20PercentOfItsStep()
    {
        var backoff = new ReconnectBackoff(Min, Max, new Random(1));

        // Steps 100, 200, 400, 800, 1600 ms, then the cap. The ±20 % ranges of successive steps
        // don't overlap, so each wait shows which step it came from.
        foreach (var step in new[] { 100, 200, 400, 800, 1600, 1600, 1600, 1600 })
        {
            AssertWithinStep(backoff.Next(), TimeSpan.FromMilliseconds(step));
        }
    }

    [Fact]
    public void Next_AtTheCap_NeverWaitsLongerThanMax()
    {
        var backoff = new ReconnectBackoff(Min, Max, new Random(2));
        for (var step = 100; step < 1600; step *= 2)
        {
            backoff.Next();
        }

        var waits = Enumerable.Range(0, 200).Select(_ => backoff.Next()).ToArray();

        Assert.All(waits, w => Assert.InRange(w, 0.8 * Max, Max));

        // Jitter above the step is cut at the maximum, so the cap itself is hit.
        Assert.Contains(Max, waits);
    }

    [Fact]
    public void Next_Jitter_SpreadsOverTheWholeRangeAroundTheStep()
    {
        var random = new Random(3);
        var secondWaits = Enumerable.Range(0, 1000).Select(_ =>
        {
            var backoff = new ReconnectBackoff(Min, Max, random);
            backoff.Next();
            return backoff.Next().TotalMilliseconds;
        }).ToArray();

        // The second step is 200 ms: waits fall in [160, 240] ms and reach near both ends.
        Assert.All(secondWaits, w => Assert.InRange(w, 160, 240));
        Assert.True(secondWaits.Min() < 165, $"shortest {secondWaits.Min()} ms");
        Assert.True(secondWaits.Max() > 235, $"longest {secondWaits.Max()} ms");
    }

    [Fact]
    public void Next_FirstStep_JitterBelowTheMinimumIsRaisedToIt()
    {
        var random = new Random(4);
        var firstWaits = Enumerable.Range(0, 1000).Select(_ => new ReconnectBackoff(Min, Max, random).Next()).ToArray();

        Assert.All(firstWaits, w => Assert.InRange(w, Min, 1.2 * Min));
        Assert.Contains(Min, firstWaits);
    }

    [Fact]
    public void Reset_AfterBackingOff_StartsAgainFromTheMinimum()
    {
        var backoff = new ReconnectBackoff(Min, Max, new Random(5));
        for (var i = 0; i < 6; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        AssertWithinStep(backoff.Next(), Min);
        AssertWithinStep(backoff.Next(), 2 * Min);
    }

    private static void AssertWithinStep(TimeSpan wait, TimeSpan step) =>
        Assert.InRange(wait, Clamp(0.8 * step), Clamp(1.2 * step));

    private static TimeSpan Clamp(TimeSpan wait) => wait < Min ? Min : wait > Max ? Max : wait;

    [Fact]
    public void ToMax_NextWaitsAreTheLongest_UntilReset()
    {
        var backoff = new ReconnectBackoff(Min, Max, new Random(5));
        backoff.Next();

        backoff.ToMax();

        for (var i = 0; i < 20; i++)
        {
            Assert.InRange(backoff.Next(), Max * 0.8, Max);
        }

        backoff.Reset();
        Assert.InRange(backoff.Next(), Min, Min * 1.2);
    }
}
