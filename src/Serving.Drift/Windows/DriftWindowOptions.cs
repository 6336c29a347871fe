namespace Serving.Drift.Windows;

/// <summary>Size limits of a <see cref="DriftWindow"/>: records are dropped by count and by age.</summary>
/// <remarks>
/// Small windows catch large shifts fast; large windows catch small shifts. The defaults keep the
/// last 1000 records of the last hour.
/// </remarks>
public sealed class DriftWindowOptions
{
    /// <summary>Most records kept; the oldest is dropped when a new one arrives. Default 1000.</summary>
    public int Capacity { get; set; } = 1000;

    /// <summary>
    /// Records older than this are dropped. Default one hour;
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns age eviction off.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(1);

    internal void ThrowIfInvalid()
    {
        if (Capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, $"{nameof(DriftWindowOptions)}.{nameof(Capacity)} must be at least 1.");
        }

        if (MaxAge <= TimeSpan.Zero && MaxAge != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAge), MaxAge, $"{nameof(DriftWindowOptions)}.{nameof(MaxAge)} must be positive (or infinite).");
        }
    }
}
