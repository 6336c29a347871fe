namespace Serving.Drift.Windows;

/// <summary>
/// The recent records of one model version: each record's input columns and its prediction,
/// kept in one ring buffer per column, bounded by count and by age.
/// </summary>
/// <remarks>
/// <para>
/// Values are doubles. A categorical column stores the category code from
/// <see cref="Profiles.CategoricalFeatureProfile.CodeOf(string)"/>; NaN marks a missing value.
/// </para>
/// <para>
/// Threading: meant for one writer (the ingest loop calling <see cref="Add"/>) and any number of
/// readers calling <see cref="Snapshot"/>, which returns an independent copy. Both hold a private
/// lock only for the copy, so readers never see a half-written record and the writer never
/// allocates. Time is read inside the lock, so records stay in time order even if several writers
/// share a window.
/// </para>
/// </remarks>
public sealed class DriftWindow
{
    private readonly Lock _gate = new();
    private readonly double[][] _columns;
    private readonly long[] _timestamps;
    private readonly TimeProvider _time;
    private int _head;
    private int _count;

    /// <summary>Creates an empty window for records of <paramref name="featureCount"/> input columns.</summary>
    public DriftWindow(int featureCount, DriftWindowOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        options ??= new DriftWindowOptions();
        options.ThrowIfInvalid();
        FeatureCount = featureCount;
        Capacity = options.Capacity;
        MaxAge = options.MaxAge;
        _time = timeProvider ?? TimeProvider.System;
        _timestamps = new long[Capacity];
        _columns = new double[featureCount + 1][];
        for (int c = 0; c < _columns.Length; c++)
        {
            _columns[c] = new double[Capacity];
        }
    }

    /// <summary>Input columns per record.</summary>
    public int FeatureCount { get; }

    /// <summary>Most records kept.</summary>
    public int Capacity { get; }

    /// <summary>Records older than this are dropped (<see cref="Timeout.InfiniteTimeSpan"/>: never).</summary>
    public TimeSpan MaxAge { get; }

    /// <summary>Records held right now, counting any that have expired but not yet been evicted.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Appends a record, evicting expired records and, when full, the oldest one.</summary>
    public void Add(ReadOnlySpan<double> features, double prediction)
    {
        if (features.Length != FeatureCount)
        {
            throw new ArgumentException($"A record needs {FeatureCount} feature values, not {features.Length}.", nameof(features));
        }

        lock (_gate)
        {
            long now = _time.GetTimestamp();
            int expired = ExpiredCount(now);
            _head = (_head + expired) % Capacity;
            _count -= expired;
            int slot = (_head + _count) % Capacity;
            if (_count == Capacity)
            {
                _head = (_head + 1) % Capacity;
            }
            else
            {
                _count++;
            }

            for (int c = 0; c < FeatureCount; c++)
            {
                _columns[c][slot] = features[c];
            }

            _columns[FeatureCount][slot] = prediction;
            _timestamps[slot] = now;
        }
    }

    /// <summary>Copies the unexpired records, oldest first; later writes do not change the copy.</summary>
    public DriftWindowSnapshot Snapshot()
    {
        lock (_gate)
        {
            // Readers skip expired records rather than evict them: only the writer mutates the ring.
            int expired = ExpiredCount(_time.GetTimestamp());
            int start = (_head + expired) % Capacity;
            int count = _count - expired;
            var values = new double[_columns.Length * count];
            for (int c = 0; c < _columns.Length; c++)
            {
                CopyRing(_columns[c], start, count, values.AsSpan(c * count, count));
            }

            return new DriftWindowSnapshot(FeatureCount, count, values, _time.GetUtcNow());
        }
    }

    // Records are in time order, so the expired ones are a prefix starting at the head.
    private int ExpiredCount(long now)
    {
        if (MaxAge == Timeout.InfiniteTimeSpan)
        {
            return 0;
        }

        int expired = 0;
        while (expired < _count && _time.GetElapsedTime(_timestamps[(_head + expired) % Capacity], now) > MaxAge)
        {
            expired++;
        }

        return expired;
    }

    private void CopyRing(double[] ring, int start, int count, Span<double> destination)
    {
        int firstPart = Math.Min(count, Capacity - start);
        ring.AsSpan(start, firstPart).CopyTo(destination);
        ring.AsSpan(0, count - firstPart).CopyTo(destination[firstPart..]);
    }
}
