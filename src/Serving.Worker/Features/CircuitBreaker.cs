namespace Serving.Worker.Features;

/// <summary>
/// Closed → open after N consecutive failures, or at once after a call that timed out (a store that
/// stopped answering costs one timeout, not N); open refuses at once for a while, then lets one
/// call through (half-open) whose outcome closes or re-opens it.
/// </summary>
internal sealed class CircuitBreaker(int failuresToOpen, TimeSpan openFor, TimeProvider time)
{
    private readonly Lock _lock = new();
    private int _consecutiveFailures;
    private long _openUntil;
    private bool _probing;

    public enum State
    {
        Closed = 0,
        Open = 1,
        HalfOpen = 2,
    }

    public State Current
    {
        get
        {
            lock (_lock)
            {
                return _consecutiveFailures < failuresToOpen ? State.Closed : time.GetTimestamp() < _openUntil ? State.Open : State.HalfOpen;
            }
        }
    }

    /// <summary>True when a call may go to the store now.</summary>
    public bool TryPass()
    {
        lock (_lock)
        {
            if (_consecutiveFailures < failuresToOpen)
            {
                return true;
            }

            if (time.GetTimestamp() < _openUntil || _probing)
            {
                return false;
            }

            _probing = true;
            return true;
        }
    }

    public void Success()
    {
        lock (_lock)
        {
            _consecutiveFailures = 0;
            _probing = false;
        }
    }

    /// <summary>
    /// A call that failed fast (a refused connection, an answer that the store can serve nobody now): opens after N in a row.
    /// Not for an error of one model's own keys (<see cref="StoreFailures"/>): the breaker is shared by every model on the store.
    /// </summary>
    public void Failure() => Fail(timedOut: false);

    /// <summary>A call that waited out its timeout: opens at once, so no further call waits on a silent store.</summary>
    public void TimedOut() => Fail(timedOut: true);

    private void Fail(bool timedOut)
    {
        lock (_lock)
        {
            _consecutiveFailures = timedOut ? Math.Max(_consecutiveFailures + 1, failuresToOpen) : _consecutiveFailures + 1;
            _probing = false;
            if (_consecutiveFailures >= failuresToOpen)
            {
                _openUntil = time.GetTimestamp() + (long)(openFor.TotalSeconds * time.TimestampFrequency);
            }
        }
    }
}
