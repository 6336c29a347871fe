namespace Serving.Hosting.Health;

/// <summary>
/// The role's readiness: false until startup work is done, and false again as soon as shutdown
/// begins, so load balancers stop sending before in-flight requests drain.
/// </summary>
public sealed class ReadinessState
{
    private readonly CancellationTokenSource _draining = new();
    private readonly TaskCompletionSource _longCallsEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _longCalls;
    private bool _endedWhileDraining;
    private volatile bool _started;
    private volatile bool _stopping;

    /// <summary>True when the role takes new work.</summary>
    public bool IsReady => _started && !_stopping;

    /// <summary>True once shutdown has begun.</summary>
    public bool IsStopping => _stopping;

    /// <summary>
    /// Cancelled when the grace period after readiness turned false is over and the listeners close: work that
    /// would otherwise hold the drain (a long-lived stream) ends now, so its caller reconnects elsewhere.
    /// </summary>
    public CancellationToken Draining => _draining.Token;

    /// <summary>True once a long call (<see cref="EnterLongCall"/>) has ended after <see cref="Draining"/> was cancelled.</summary>
    public bool LongCallEndedWhileDraining => Volatile.Read(ref _endedWhileDraining);

    /// <summary>Raised when readiness changes.</summary>
    public event Action<bool>? Changed;

    /// <summary>Startup work is done.</summary>
    public void MarkStarted()
    {
        _started = true;
        Changed?.Invoke(IsReady);
    }

    /// <summary>Shutdown has begun.</summary>
    public void MarkStopping()
    {
        _stopping = true;
        Changed?.Invoke(false);
    }

    /// <summary>The grace period is over: the listeners close and in-flight work drains.</summary>
    public void MarkDraining()
    {
        _stopping = true;
        _draining.Cancel();
    }

    /// <summary>
    /// A call that would hold the drain (a long-lived stream) starts: it ends itself when <see cref="Draining"/> is
    /// cancelled, and disposing the result, once its answer is complete, says it has.
    /// </summary>
    public IDisposable EnterLongCall()
    {
        Interlocked.Increment(ref _longCalls);
        return new LongCall(this);
    }

    /// <summary>Completes when no long call is left; the drain waits for it before the listeners close.</summary>
    public Task LongCallsEndedAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _longCalls) == 0 ? Task.CompletedTask : _longCallsEnded.Task.WaitAsync(cancellationToken);

    private void LeaveLongCall()
    {
        var left = Interlocked.Decrement(ref _longCalls);
        if (_draining.IsCancellationRequested)
        {
            Volatile.Write(ref _endedWhileDraining, true);
            if (left == 0)
            {
                _longCallsEnded.TrySetResult();
            }
        }
    }

    private sealed class LongCall(ReadinessState owner) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                owner.LeaveLongCall();
            }
        }
    }
}
