namespace Serving.Worker.PredictionLogs;

/// <summary>
/// The batches one stream has sent and the monitor has not acknowledged, bounded: a sender waits for
/// a free slot before writing, and an ack frees one.
/// </summary>
internal sealed class UnackedBatches(int capacity) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, PendingBatch> _batches = [];
    private readonly SemaphoreSlim _slots = new(capacity, capacity);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _batches.Count;
            }
        }
    }

    /// <summary>Waits for room for one more batch; false when <paramref name="timeout"/> passed without an ack.</summary>
    public Task<bool> WaitForSlotAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _slots.WaitAsync(timeout, cancellationToken);

    /// <summary>Records a batch about to be written (before the write, so its ack can't arrive first).</summary>
    public void Add(PendingBatch batch)
    {
        lock (_gate)
        {
            _batches.Add(batch.Sequence, batch);
        }

        PredictionLogStats.AddUnackedBatches(1);
    }

    /// <summary>Removes the acknowledged batch and frees its slot; false for an unknown sequence.</summary>
    public bool TryAcknowledge(ulong sequence, out PendingBatch? batch)
    {
        lock (_gate)
        {
            if (!_batches.Remove(sequence, out batch))
            {
                return false;
            }
        }

        PredictionLogStats.AddUnackedBatches(-1);
        _slots.Release();
        return true;
    }

    /// <summary>Waits until every sent batch is acknowledged; false on timeout.</summary>
    public async Task<bool> WaitForAllAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // The window is empty exactly when every slot is free.
        var deadline = DateTime.UtcNow + timeout;
        var taken = 0;
        try
        {
            for (; taken < capacity; taken++)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero || !await _slots.WaitAsync(left, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            if (taken > 0)
            {
                _slots.Release(taken);
            }
        }
    }

    /// <summary>Takes every unacknowledged batch, oldest first (when the stream broke).</summary>
    public List<PendingBatch> TakeAll()
    {
        List<PendingBatch> all;
        lock (_gate)
        {
            all = [.. _batches.Values.OrderBy(b => b.Sequence)];
            _batches.Clear();
        }

        PredictionLogStats.AddUnackedBatches(-all.Count);
        return all;
    }

    public void Dispose() => _slots.Dispose();
}
