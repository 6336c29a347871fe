using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Generator;

/// <summary>
/// Once a second: folds the latency recorders' interval into the cumulative histograms, adds a timeline
/// point and reports progress. It is the histograms' only reader.
/// </summary>
internal sealed class ProgressMonitor
{
    private readonly LoadMeasurement _measurement;
    private readonly RunControl _control;
    private readonly long _start;
    private readonly IProgress<LoadProgress>? _progress;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _lastTick;
    private long _lastCompleted;
    private long _lastFailed;

    private ProgressMonitor(LoadMeasurement measurement, RunControl control, long start, IProgress<LoadProgress>? progress)
    {
        _measurement = measurement;
        _control = control;
        _start = start;
        _progress = progress;
        _lastTick = start;
        _loop = LoopAsync();
    }

    /// <summary>Per-second points of the measured window.</summary>
    public List<TimelinePoint> Timeline { get; } = [];

    /// <summary>Starts ticking.</summary>
    public static ProgressMonitor Start(LoadMeasurement measurement, RunControl control, long start, IProgress<LoadProgress>? progress) =>
        new(measurement, control, start, progress);

    /// <summary>Stops ticking and takes the last interval, so the cumulative histograms hold every call.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Tick();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Tick();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Tick()
    {
        var now = Timestamps.Now;
        var seconds = Math.Max(Timestamps.ToSeconds(now - _lastTick), 1e-6);
        var interval = _measurement.Latency.TakeInterval();
        _measurement.ServiceTime?.TakeInterval();
        var completed = _measurement.Completed;
        var failed = _measurement.Failures.Total;
        var measuring = now > _measurement.MeasureStart;
        if (measuring && interval.TotalCount + failed - _lastFailed > 0)
        {
            // The interval that straddles the end of the warmup only holds measured calls from its later part.
            var measuredSeconds = Math.Max(Timestamps.ToSeconds(now - Math.Max(_lastTick, _measurement.MeasureStart)), 1e-6);
            Timeline.Add(new TimelinePoint(
                Math.Round(Timestamps.ToSeconds(now - _measurement.MeasureStart), 3),
                Math.Round(interval.TotalCount / measuredSeconds, 1),
                interval.TotalCount == 0 ? 0 : interval.GetValueAtPercentile(50),
                interval.TotalCount == 0 ? 0 : interval.GetValueAtPercentile(99),
                failed - _lastFailed));
        }

        var phase = _control.IsStopping ? "drain" : measuring ? "measure" : "warmup";
        var cumulative = _measurement.Latency.Cumulative;
        _progress?.Report(new LoadProgress(
            TimeSpan.FromSeconds(Timestamps.ToSeconds(now - _start)),
            phase,
            (completed - _lastCompleted) / seconds,
            cumulative.TotalCount == 0 ? 0 : cumulative.GetValueAtPercentile(99),
            _measurement.Succeeded,
            failed));
        _lastTick = now;
        _lastCompleted = completed;
        _lastFailed = failed;
    }
}
