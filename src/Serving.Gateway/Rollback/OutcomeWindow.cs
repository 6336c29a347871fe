namespace Serving.Gateway.Rollback;

/// <summary>
/// One version's outcomes over the last <see cref="Seconds"/> seconds: a ring with one slot per
/// second, each slot stamped with the second it counts. Recording is three Interlocked increments
/// at most and never allocates; a slot is cleared under a lock only when a new second first
/// reaches it (once per second, not per request). Readers sum the slots whose stamp is in the window.
/// </summary>
internal sealed class OutcomeWindow
{
    private readonly Slot[] _slots;
    private readonly Lock _rotate = new();

    public OutcomeWindow(int seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        _slots = new Slot[seconds];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i].Second = long.MinValue;
        }
    }

    public int Seconds => _slots.Length;

    /// <summary>Counts a request that ended in <paramref name="second"/> (whole seconds of a monotonic clock, ≥ 0).</summary>
    public void Record(long second, bool failed, bool slow)
    {
        ref var slot = ref _slots[second % _slots.Length];
        if (Volatile.Read(ref slot.Second) != second && !Rotate(ref slot, second))
        {
            return;
        }

        Interlocked.Increment(ref slot.Requests);
        if (failed)
        {
            Interlocked.Increment(ref slot.Errors);
        }

        if (slow)
        {
            Interlocked.Increment(ref slot.Slow);
        }
    }

    /// <summary>The sum over the seconds (<paramref name="now"/> − <see cref="Seconds"/>, <paramref name="now"/>].</summary>
    public OutcomeCounts Sum(long now)
    {
        long requests = 0, errors = 0, slow = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            var second = Volatile.Read(ref _slots[i].Second);
            if (second <= now && second > now - _slots.Length)
            {
                requests += Volatile.Read(ref _slots[i].Requests);
                errors += Volatile.Read(ref _slots[i].Errors);
                slow += Volatile.Read(ref _slots[i].Slow);
            }
        }

        return new OutcomeCounts(requests, errors, slow);
    }

    // The stamp is written after the counts are cleared, so a recorder that sees the new stamp counts into a clean slot.
    private bool Rotate(ref Slot slot, long second)
    {
        lock (_rotate)
        {
            var stamp = slot.Second;
            if (stamp < second)
            {
                slot.Requests = 0;
                slot.Errors = 0;
                slot.Slow = 0;
                Volatile.Write(ref slot.Second, second);
                return true;
            }

            // Equal: another thread rotated it first. Greater: this request is older than the slot's second; drop it.
            return stamp == second;
        }
    }

    private struct Slot
    {
        public long Second;
        public long Requests;
        public long Errors;
        public long Slow;
    }
}
