using System.Diagnostics;

namespace Serving.LoadTests.Generator;

/// <summary>Conversions between <see cref="Stopwatch"/> ticks and the microseconds the histograms hold.</summary>
internal static class Timestamps
{
    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>Now, in Stopwatch ticks.</summary>
    public static long Now => Stopwatch.GetTimestamp();

    /// <summary>Ticks to whole microseconds.</summary>
    public static long ToMicros(long ticks) => (long)(ticks * MicrosPerTick);

    /// <summary>A span to ticks.</summary>
    public static long FromTimeSpan(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Seconds to ticks.</summary>
    public static long FromSeconds(double seconds) => (long)(seconds * Stopwatch.Frequency);

    /// <summary>Ticks to seconds.</summary>
    public static double ToSeconds(long ticks) => ticks / (double)Stopwatch.Frequency;
}
