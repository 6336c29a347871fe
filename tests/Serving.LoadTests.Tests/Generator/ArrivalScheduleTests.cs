using Serving.LoadTests.Generator;

namespace Serving.LoadTests.Tests.Generator;

public sealed class ArrivalScheduleTests
{
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(1, 0.001)]
    [InlineData(1000, 1.0)]
    [InlineData(2500, 2.5)]
    public void OffsetSeconds_ConstantRate_IsIndexOverRate(long index, double expected)
    {
        var schedule = new ArrivalSchedule(1000, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

        Assert.Equal(expected, schedule.OffsetSeconds(index), 9);
    }

    [Fact]
    public void OffsetSeconds_Ramp_ArrivalsUpToTimeMatchTheIntegralOfTheRate()
    {
        // 100 → 300 req/s over 10 s after a 2 s warmup at 100 req/s: 200 warmup arrivals, then rate·x + slope·x²/2.
        var schedule = new ArrivalSchedule(100, 300, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
        const double slope = 20;

        foreach (var x in new[] { 0.0, 1.0, 5.0, 10.0 })
        {
            var k = (long)Math.Round(200 + (100 * x) + (slope * x * x / 2));
            Assert.Equal(2 + x, schedule.OffsetSeconds(k), 6);
        }
    }

    [Fact]
    public void OffsetSeconds_RampDownPastZero_IsInfinite()
    {
        // 100 → 0 req/s over 1 s yields 50 arrivals in the window; the 200th never comes.
        var schedule = new ArrivalSchedule(100, 0, TimeSpan.Zero, TimeSpan.FromSeconds(1));

        Assert.True(double.IsFinite(schedule.OffsetSeconds(49)));
        Assert.True(double.IsPositiveInfinity(schedule.OffsetSeconds(200)));
    }

    [Fact]
    public void OffsetSeconds_Always_IncreasesWithIndex()
    {
        var schedule = new ArrivalSchedule(50, 500, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));

        var previous = -1.0;
        for (long i = 0; i < 800; i++)
        {
            var offset = schedule.OffsetSeconds(i);
            Assert.True(offset > previous, $"arrival {i} at {offset} is not after {previous}");
            previous = offset;
        }
    }
}
