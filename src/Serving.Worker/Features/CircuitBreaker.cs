namespace Serving.Worker.Features;

/// <summary>
/// Closed → open after N consecutive failures; open refuses at once for a while, then lets one
/// call through (half-open) whose outcome closes or re-opens it. Lock-free reads on the hot path.
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

    public void Failure()
    {
        lock (_lock)
        {
            _consecutiveFailures++;
            _probing = false;
            if (_consecutiveFailures >= failuresToOpen)
            {
                _openUntil = time.GetTimestamp() + (long)(openFor.TotalSeconds * time.TimestampFrequency);
            }
        }
    }
}
