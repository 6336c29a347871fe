using System.Diagnostics;
using Serving.Protocol.Wire;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// The bounded queue between the predict path and the sender, holding records as wire bytes: each record is
/// appended to the open <see cref="LogSegment"/> (one batch in the making), which is sealed once it holds
/// <see cref="PredictionLogOptions.BatchSize"/> records or one more would take the message past
/// <see cref="PredictionLogOptions.MaxBatchBytes"/>. The sender takes sealed segments, or the open one once its first
/// record has waited <see cref="PredictionLogOptions.FlushInterval"/>. Past <see cref="PredictionLogOptions.QueueCapacity"/>
/// records or <see cref="PredictionLogOptions.QueueCapacityBytes"/> bytes a record is refused, never waited for.
/// </summary>
/// <remarks>
/// One short lock guards it; appending copies bytes already encoded outside it. No object is allocated per
/// record: segments and their buffers are reused once their batch is acknowledged. The sender is woken when a
/// segment is sealed (or the first record of an empty queue arrives), not per record.
/// </remarks>
internal sealed class PredictionLogQueue(PredictionLogOptions options)
{
    // Segments kept for reuse beyond those in flight; more are dropped (their buffers go back to the pool).
    private const int SpareSegments = 4;

    // The batch message's sequence field (tag and a 64-bit varint) is written in front of the segment.
    private const int SequenceFieldBytes = 1 + ProtoWire.MaxVarintBytes;

    private readonly Lock _gate = new();
    private readonly Queue<LogSegment> _sealed = new();
    private readonly Stack<LogSegment> _free = new();
    private readonly int _capacity = options.QueueCapacity;
    private readonly long _capacityBytes = options.QueueCapacityBytes;
    private readonly int _batchSize = options.BatchSize;
    private readonly long _maxBatchBytes = options.MaxBatchBytes;
    private readonly TimeSpan _flushInterval = options.FlushInterval;
    private readonly int _keepSegments = options.MaxUnackedBatches + SpareSegments;
    private LogSegment? _open;
    private int _records;
    private long _bytes;
    private bool _completed;
    private TaskCompletionSource? _waiter;

    /// <summary>What <see cref="TryAppend"/> did with a record.</summary>
    public enum Outcome
    {
        Queued,
        Full,
        Stopped,
    }

    /// <summary>Records waiting to be taken.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _records;
            }
        }
    }

    /// <summary>Bytes of the records waiting to be taken (their entries on the wire; schemas are the layouts', shared).</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>True once <see cref="Complete"/> ran and every record was taken.</summary>
    public bool IsDrained
    {
        get
        {
            lock (_gate)
            {
                return _completed && _records == 0;
            }
        }
    }

    /// <summary>Appends one record (<paramref name="record"/>: its fields but the schema index) unless the queue is full or completed.</summary>
    public Outcome TryAppend(RecordLayout layout, ReadOnlySpan<byte> record, ActivityContext origin)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (_completed)
            {
                return Outcome.Stopped;
            }

            // As the channel before it: a record is taken while the queue is under both limits, so the bytes may pass
            // their limit by one record.
            if (_records >= _capacity || _bytes >= _capacityBytes)
            {
                return Outcome.Full;
            }

            var open = _open ??= Rent();
            var sealedAny = false;
            if (open.Records > 0 && SequenceFieldBytes + open.SchemasLength + open.Length + open.EntrySize(layout, record.Length) > _maxBatchBytes)
            {
                Seal();
                sealedAny = true;
                open = _open = Rent();
            }

            _bytes += open.Append(layout, record, origin);
            _records++;
            if (open.Records >= _batchSize)
            {
                Seal();
                sealedAny = true;
            }

            // The sender waits for a sealed segment, or, idle, for any record to start the flush clock.
            wake = sealedAny || (open.Records == 1 && _sealed.Count == 0) ? TakeWaiter() : null;
        }

        wake?.TrySetResult();
        return Outcome.Queued;
    }

    /// <summary>
    /// The next batch's segment: a sealed one, else the open one once its flush interval passed (or at once after
    /// <see cref="Complete"/>); waits until there is one. Null when completed and empty.
    /// </summary>
    public async ValueTask<LogSegment?> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TaskCompletionSource waiter;
            TimeSpan wait;
            lock (_gate)
            {
                if (TryTakeLocked(out var segment, out wait))
                {
                    return segment;
                }

                if (_completed && _records == 0)
                {
                    return null;
                }

                waiter = _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (wait == Timeout.InfiniteTimeSpan)
            {
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(wait, timer.Token);
            await Task.WhenAny(waiter.Task, delay).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Takes the next segment without waiting: a sealed one, else the open one whatever its age; false when empty.</summary>
    public bool TryTake(out LogSegment? segment)
    {
        lock (_gate)
        {
            if (_sealed.Count == 0 && _open is { Records: > 0 })
            {
                Seal();
            }

            return TryTakeLocked(out segment, out _);
        }
    }

    /// <summary>Gives a segment whose batch is done with (acknowledged, lost or unsent) back for reuse.</summary>
    public void Return(LogSegment segment)
    {
        lock (_gate)
        {
            if (_free.Count < _keepSegments)
            {
                segment.Clear();
                _free.Push(segment);
                return;
            }
        }

        segment.ReturnBuffer();
    }

    /// <summary>No more records are taken (shutdown); the sender is woken to take what is left at once.</summary>
    public void Complete()
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _completed = true;
            wake = TakeWaiter();
        }

        wake?.TrySetResult();
    }

    private bool TryTakeLocked(out LogSegment? segment, out TimeSpan wait)
    {
        wait = Timeout.InfiniteTimeSpan;
        if (_sealed.Count == 0 && _open is { Records: > 0 } open)
        {
            var age = Stopwatch.GetElapsedTime(open.FirstRecordAt);
            if (_completed || age >= _flushInterval)
            {
                Seal();
            }
            else
            {
                wait = _flushInterval - age;
            }
        }

        if (!_sealed.TryDequeue(out segment))
        {
            return false;
        }

        _records -= segment.Records;
        _bytes -= segment.Length;
        return true;
    }

    // Moves the open segment to the sealed ones; the caller wakes the sender (TakeWaiter) once it has left the lock.
    private void Seal()
    {
        _sealed.Enqueue(_open!);
        _open = null;
    }

    private TaskCompletionSource? TakeWaiter()
    {
        var waiter = _waiter;
        _waiter = null;
        return waiter;
    }

    private LogSegment Rent() => _free.TryPop(out var segment) ? segment : new LogSegment();
}
