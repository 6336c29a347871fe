using HdrHistogram;

namespace Serving.LoadTests.Generator;

/// <summary>
/// A wait-free HdrHistogram recorder (microseconds, 3 significant digits, up to 60 s) whose intervals are
/// folded into a cumulative histogram by a single reader once per second.
/// </summary>
internal sealed class LatencyRecorder
{
    /// <summary>The largest latency kept exactly; longer ones are recorded as this value.</summary>
    public const long HighestMicros = 60_000_000;

    private readonly Recorder _recorder = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1).WithValuesUpTo(HighestMicros).WithPrecisionOf(3)
        .WithThreadSafeWrites().WithThreadSafeReads().Create();

    private readonly HistogramBase _interval = NewHistogram();

    /// <summary>Everything recorded up to the last <see cref="TakeInterval"/>.</summary>
    public HistogramBase Cumulative { get; } = NewHistogram();

    /// <summary>Records one latency; safe from any thread.</summary>
    public void Record(long micros) => _recorder.RecordValue(Math.Clamp(micros, 1, HighestMicros));

    /// <summary>Moves what was recorded since the last call into <see cref="Cumulative"/> and returns it (valid until the next call). Single reader only.</summary>
    public HistogramBase TakeInterval()
    {
        _recorder.GetIntervalHistogramInto(_interval);
        Cumulative.Add(_interval);
        return _interval;
    }

    private static HistogramBase NewHistogram() =>
        HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(HighestMicros).WithPrecisionOf(3).Create();
}
