namespace Serving.Gateway.Rollback;

/// <summary>
/// One version's outcomes over the last <see cref="Seconds"/> seconds: a ring with one slot per
/// second, each slot stamped with the second it counts. Recording is four Interlocked increments
/// at most and never allocates; a slot is cleared under a lock only when a new second first
/// reaches it (once per second, not per request). Readers sum the slots whose stamp is in the window.
/// The baseline's window also keeps, per slot, a histogram of its answered requests' latencies
/// (<see cref="Buckets"/> buckets, each √2 wider than the last from 100 µs), from which <see cref="P99"/> reads what
/// the baseline needs to answer.
/// </summary>
internal sealed class OutcomeWindow
{
    /// <summary>Latency buckets per slot: upper bounds 100 µs × √2^i, the last one open (past ~52 s).</summary>
    public const int Buckets = 40;

    private const double FirstBound = 0.0001;

    private readonly Slot[] _slots;
    private readonly long[]? _latencies;
    private readonly Lock _rotate = new();

    public OutcomeWindow(int seconds, bool latencies = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        _slots = new Slot[seconds];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i].Second = long.MinValue;
        }

        _latencies = latencies ? new long[seconds * Buckets] : null;
    }

    public int Seconds => _slots.Length;

    /// <summary>Whether this window keeps the latencies of answered requests (the baseline's).</summary>
    public bool KeepsLatencies => _latencies is not null;

    /// <summary>
    /// Counts a request that ended in <paramref name="second"/> (whole seconds of a monotonic clock, ≥ 0);
    /// <paramref name="answeredSeconds"/> is the latency of an answered request (negative for any other), kept when
    /// <see cref="KeepsLatencies"/>.
    /// </summary>
    public void Record(long second, bool failed, bool slow, double answeredSeconds = -1)
    {
        var index = (int)(second % _slots.Length);
        ref var slot = ref _slots[index];
        if (Volatile.Read(ref slot.Second) != second && !Rotate(index, second))
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

        if (_latencies is not null && answeredSeconds >= 0)
        {
            Interlocked.Increment(ref _latencies[(index * Buckets) + Bucket(answeredSeconds)]);
        }
    }

    /// <summary>The sum over the seconds (<paramref name="now"/> − <see cref="Seconds"/>, <paramref name="now"/>].</summary>
    public OutcomeCounts Sum(long now)
    {
        long requests = 0, errors = 0, slow = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            if (InWindow(i, now))
            {
                requests += Volatile.Read(ref _slots[i].Requests);
                errors += Volatile.Read(ref _slots[i].Errors);
                slow += Volatile.Read(ref _slots[i].Slow);
            }
        }

        return new OutcomeCounts(requests, errors, slow);
    }

    /// <summary>
    /// The p99 latency of the answered requests over the window ending at <paramref name="now"/>, rounded up to its
    /// bucket's bound (at most √2 over); null when the window keeps no latencies or has no answered request.
    /// </summary>
    public TimeSpan? P99(long now)
    {
        if (_latencies is null)
        {
            return null;
        }

        Span<long> counts = stackalloc long[Buckets];
        long total = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            if (InWindow(i, now))
            {
                for (var b = 0; b < Buckets; b++)
                {
                    var n = Volatile.Read(ref _latencies[(i * Buckets) + b]);
                    counts[b] += n;
                    total += n;
                }
            }
        }

        if (total == 0)
        {
            return null;
        }

        // The smallest bound with at least 99% of the answers at or under it.
        var wanted = total - (total / 100);
        long seen = 0;
        for (var b = 0; b < Buckets; b++)
        {
            seen += counts[b];
            if (seen >= wanted)
            {
                return TimeSpan.FromSeconds(Bound(b));
            }
        }

        return TimeSpan.FromSeconds(Bound(Buckets - 1));
    }

    /// <summary>The bucket of a latency: the first whose bound (100 µs × √2^i) it doesn't exceed.</summary>
    internal static int Bucket(double seconds) =>
        seconds <= FirstBound ? 0 : Math.Min(Buckets - 1, (int)Math.Ceiling(2 * Math.Log2(seconds / FirstBound) - 1e-9));

    /// <summary>The upper bound of bucket <paramref name="bucket"/>, in seconds.</summary>
    internal static double Bound(int bucket) => FirstBound * Math.Pow(2, bucket / 2.0);

    private bool InWindow(int index, long now)
    {
        var second = Volatile.Read(ref _slots[index].Second);
        return second <= now && second > now - _slots.Length;
    }

    // The stamp is written after the counts are cleared, so a recorder that sees the new stamp counts into a clean slot.
    private bool Rotate(int index, long second)
    {
        ref var slot = ref _slots[index];
        lock (_rotate)
        {
            var stamp = slot.Second;
            if (stamp < second)
            {
                slot.Requests = 0;
                slot.Errors = 0;
                slot.Slow = 0;
                if (_latencies is not null)
                {
                    Array.Clear(_latencies, index * Buckets, Buckets);
                }

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
