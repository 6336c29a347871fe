namespace Serving.LoadTests.Generator;

/// <summary>
/// When to stop sending (end of window, request count reached, Ctrl+C) and when to give up on what is still
/// outstanding (the drain timeout after that).
/// </summary>
internal sealed class RunControl : IDisposable
{
    private readonly CancellationTokenSource _stopIssuing = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly CancellationTokenRegistration _onStop;
    private readonly CancellationTokenRegistration _onExternal;
    private readonly LoadMeasurement _measurement;
    private readonly long? _maxRequests;
    private long _claimed;
    private long _interruptedAt;

    /// <summary>Stops issuing after <paramref name="runLength"/>, on <paramref name="external"/>, or after <paramref name="maxRequests"/> measured requests.</summary>
    public RunControl(CancellationToken external, TimeSpan runLength, TimeSpan drainTimeout, long? maxRequests, LoadMeasurement measurement)
    {
        _measurement = measurement;
        _maxRequests = maxRequests;
        _onStop = _stopIssuing.Token.Register(() => _hardStop.CancelAfter(drainTimeout));
        _stopIssuing.CancelAfter(runLength);
        _onExternal = external.Register(static control => ((RunControl)control!).Interrupt(), this);
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

    /// <summary>
    /// When the caller's token (Ctrl+C, a bench's time bound) stopped the run before it ended by itself (its window, its
    /// request count), in <see cref="Timestamps"/> ticks; null when the run went to its end.
    /// </summary>
    public long? InterruptedAt => Volatile.Read(ref _interruptedAt) is var at and not 0 ? at : null;

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

    private void Interrupt()
    {
        if (!IsStopping)
        {
            Interlocked.CompareExchange(ref _interruptedAt, Timestamps.Now, 0);
        }

        Stop();
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
        _onExternal.Dispose();
        _onStop.Dispose();
        _stopIssuing.Dispose();
        _hardStop.Dispose();
    }
}
