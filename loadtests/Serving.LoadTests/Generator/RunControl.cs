namespace Serving.LoadTests.Generator;

/// <summary>
/// When to stop sending (end of window, request count reached, Ctrl+C) and when to give up on what is still
/// outstanding (the drain timeout after that).
/// </summary>
internal sealed class RunControl : IDisposable
{
    private readonly CancellationTokenSource _stopIssuing;
    private readonly CancellationTokenSource _hardStop = new();
    private readonly CancellationTokenRegistration _onStop;
    private readonly LoadMeasurement _measurement;
    private readonly long? _maxRequests;
    private long _claimed;

    /// <summary>Stops issuing after <paramref name="runLength"/>, on <paramref name="external"/>, or after <paramref name="maxRequests"/> measured requests.</summary>
    public RunControl(CancellationToken external, TimeSpan runLength, TimeSpan drainTimeout, long? maxRequests, LoadMeasurement measurement)
    {
        _measurement = measurement;
        _maxRequests = maxRequests;
        _stopIssuing = CancellationTokenSource.CreateLinkedTokenSource(external);
        _onStop = _stopIssuing.Token.Register(() => _hardStop.CancelAfter(drainTimeout));
        _stopIssuing.CancelAfter(runLength);
    }

    /// <summary>
    /// The control of a run of <paramref name="profile"/>. The closed model stops issuing when the run's length has
    /// passed. The open model's scheduler ends the run itself after the last request due in the window: a timer
    /// there would drop the last due requests whenever the scheduler runs late on a busy machine.
    /// </summary>
    public static RunControl For(LoadProfile profile, CancellationToken external, LoadMeasurement measurement) =>
        new(external, profile.Mode == LoadMode.Open ? Timeout.InfiniteTimeSpan : profile.Warmup + profile.Duration, profile.DrainTimeout, profile.MaxRequests, measurement);

    /// <summary>Set once no new request may start.</summary>
    public CancellationToken StopIssuing => _stopIssuing.Token;

    /// <summary>Set when the drain timeout has passed: outstanding calls are cancelled.</summary>
    public CancellationToken HardStop => _hardStop.Token;

    /// <summary>True once no new request may start.</summary>
    public bool IsStopping => _stopIssuing.IsCancellationRequested;

    /// <summary>Claims the right to send a request intended at <paramref name="intended"/>; false once the run is over.</summary>
    public bool TryClaim(long intended)
    {
        if (IsStopping)
        {
            return false;
        }

        if (_maxRequests is not { } max || !_measurement.IsMeasured(intended))
        {
            return true;
        }

        var claimed = Interlocked.Increment(ref _claimed);
        if (claimed >= max)
        {
            Stop();
        }

        return claimed <= max;
    }

    /// <summary>Stops issuing new requests.</summary>
    public void Stop()
    {
        try
        {
            _stopIssuing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A late caller after the run ended; nothing left to stop.
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _onStop.Dispose();
        _stopIssuing.Dispose();
        _hardStop.Dispose();
    }
}
