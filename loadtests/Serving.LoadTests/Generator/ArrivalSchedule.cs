namespace Serving.LoadTests.Generator;

/// <summary>
/// When the i-th request of the open model is due: a constant rate through the warmup, then a linear ramp from
/// the rate to the ramp target across the measured window (constant when there is no ramp).
/// </summary>
internal sealed class ArrivalSchedule(double rate, double? rampTo, TimeSpan warmup, TimeSpan duration)
{
    private readonly double _warmupSeconds = warmup.TotalSeconds;
    private readonly double _slope = ((rampTo ?? rate) - rate) / duration.TotalSeconds;

    /// <summary>Seconds from the start of the run at which request <paramref name="index"/> is due; +∞ if never.</summary>
    public double OffsetSeconds(long index)
    {
        var warmupArrivals = rate * _warmupSeconds;
        if (index < warmupArrivals)
        {
            return index / rate;
        }

        // Arrivals x seconds into the window: k = rate·x + slope·x²/2; solve for x.
        var k = index - warmupArrivals;
        if (Math.Abs(_slope) < 1e-12)
        {
            return _warmupSeconds + (k / rate);
        }

        var discriminant = (rate * rate) + (2 * _slope * k);
        return discriminant < 0
            ? double.PositiveInfinity
            : _warmupSeconds + ((Math.Sqrt(discriminant) - rate) / _slope);
    }
}
