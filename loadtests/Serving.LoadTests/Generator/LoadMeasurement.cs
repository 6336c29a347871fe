using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Generator;

/// <summary>
/// What one run records. A call counts when its intended send time falls in the measured window, so calls
/// started in the warmup are never recorded even if they end after it.
/// </summary>
internal sealed class LoadMeasurement(long measureStart, bool recordServiceTime)
{
    private long _completed;
    private long _succeeded;
    private string? _firstClientError;

    /// <summary>Stopwatch ticks at which the warmup ends.</summary>
    public long MeasureStart { get; } = measureStart;

    /// <summary>Latency from the intended send time (CO-corrected); the same as the service time in the closed model.</summary>
    public LatencyRecorder Latency { get; } = new();

    /// <summary>Open model: latency from the actual send time, to show what the scheduler added.</summary>
    public LatencyRecorder? ServiceTime { get; } = recordServiceTime ? new LatencyRecorder() : null;

    /// <summary>Failures in the measured window, by outcome.</summary>
    public OutcomeTally Failures { get; } = new();

    /// <summary>Calls completed, warmup included (for the live rate).</summary>
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Successful calls in the measured window.</summary>
    public long Succeeded => Volatile.Read(ref _succeeded);

    /// <summary>The message of the first unexpected client exception, for the report.</summary>
    public string? FirstClientError => Volatile.Read(ref _firstClientError);

    /// <summary>True when a call intended at <paramref name="intended"/> is measured.</summary>
    public bool IsMeasured(long intended) => intended >= MeasureStart;

    /// <summary>Records a finished call.</summary>
    public void Record(long intended, long sent, long ended, CallOutcome outcome)
    {
        Interlocked.Increment(ref _completed);
        if (!IsMeasured(intended))
        {
            return;
        }

        if (!outcome.IsOk)
        {
            Failures.Add(outcome);
            return;
        }

        Interlocked.Increment(ref _succeeded);
        Latency.Record(Timestamps.ToMicros(ended - intended));
        ServiceTime?.Record(Timestamps.ToMicros(ended - sent));
    }

    /// <summary>Records a due request that was not sent.</summary>
    public void RecordNotSent(long intended, CallOutcome outcome)
    {
        if (IsMeasured(intended))
        {
            Failures.Add(outcome);
        }
    }

    /// <summary>Records an exception the caller did not turn into an outcome.</summary>
    public void RecordClientError(long intended, Exception exception)
    {
        Interlocked.CompareExchange(ref _firstClientError, $"{exception.GetType().Name}: {exception.Message}", null);
        Record(intended, intended, intended, CallOutcome.ClientError);
    }
}
