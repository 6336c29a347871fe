using System.Diagnostics;

namespace Serving.Worker.Batching;

/// <summary>
/// Completes batch loops' sleep signals at their <c>max_queue_delay_us</c> deadlines, to within tens of µs. .NET's
/// timers (<c>Task.Delay</c>, <c>WaitAsync</c>) tick with the kernel's coarse clock: on this machine a 1.9 ms wait took
/// 4.3 ms (median), which turned a 2 ms queue delay into about 4. One background thread keeps the deadlines in a
/// heap, waits on a monitor until about a millisecond before the earliest, then sleeps the rest with <see cref="ShortSleep"/>
/// (<c>usleep</c> at 1 ns timer slack on Linux). It never fires early. A deadline added while the
/// thread sleeps its last millisecond may fire up to that millisecond late.
/// </summary>
internal sealed class BatchDelayTimer
{
    private readonly object _gate = new(); // a monitor, not a Lock: the thread waits on it
    private readonly PriorityQueue<TaskCompletionSource, long> _due = new();
    private readonly List<TaskCompletionSource> _firing = [];
    private Thread? _thread;
    private long _fired;
    private long _deadlineWaits;
    private int _purgeAt = PurgeFloor;

    /// <summary>Deadlines held before signals already completed by a wake are dropped from the heap.</summary>
    private const int PurgeFloor = 1024;

    /// <summary>The process's timer: one thread, started on first use, for every batcher.</summary>
    public static BatchDelayTimer Shared { get; } = new();

    /// <summary>Signals completed by the clock so far.</summary>
    public long Fired => Interlocked.Read(ref _fired);

    /// <summary>Times the thread began waiting on the monitor for a deadline (not for the heap to fill).</summary>
    public long DeadlineWaits => Interlocked.Read(ref _deadlineWaits);

    /// <summary>Deadlines held, including signals a wake completed first that have not been dropped yet.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _due.Count;
            }
        }
    }

    /// <summary>
    /// Completes <paramref name="signal"/> (<c>TrySetResult</c>, so one already completed by a wake is left alone) at
    /// or after <paramref name="deadline"/>, a <see cref="Stopwatch"/> timestamp. Its continuations should run
    /// asynchronously: they must not run on the timer's thread.
    /// </summary>
    public void Schedule(TaskCompletionSource signal, long deadline)
    {
        lock (_gate)
        {
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "batch delay timer" };
                _thread.Start();
            }

            if (_due.Count >= _purgeAt)
            {
                DropCompletedLocked();
            }

            var sooner = _due.TryPeek(out _, out var first) && first <= deadline;
            _due.Enqueue(signal, deadline);
            if (!sooner)
            {
                Monitor.Pulse(_gate); // the thread waits for a later deadline (or none): it looks again
            }
        }
    }

    /// <summary>
    /// Many signals are completed by a wake before their deadline (an arrival that completes a batch wakes its loop,
    /// which sleeps again on a new signal). Dropping those once the heap has doubled keeps it near the loops actually asleep, however
    /// long the delay and however fast the arrivals.
    /// </summary>
    private void DropCompletedLocked()
    {
        var live = _due.UnorderedItems.Where(x => !x.Element.Task.IsCompleted).ToList();
        _due.Clear();
        _due.EnqueueRange(live);
        _purgeAt = Math.Max(PurgeFloor, live.Count * 2);
    }

    private void Run()
    {
        ShortSleep.ReduceTimerSlack();
        while (true)
        {
            lock (_gate)
            {
                while (true)
                {
                    if (!_due.TryPeek(out _, out var deadline))
                    {
                        Monitor.Wait(_gate);
                        continue;
                    }

                    var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                    if (remaining <= TimeSpan.Zero)
                    {
                        break;
                    }

                    if (remaining.TotalMilliseconds >= 2)
                    {
                        // Monitor waits take whole milliseconds and end ~0.1 ms late: stop a millisecond short.
                        Interlocked.Increment(ref _deadlineWaits);
                        Monitor.Wait(_gate, (int)remaining.TotalMilliseconds - 1);
                        continue;
                    }

                    // The last stretch, outside the lock so Schedule never waits on it.
                    Monitor.Exit(_gate);
                    try
                    {
                        ShortSleep.For(remaining);
                    }
                    finally
                    {
                        Monitor.Enter(_gate);
                    }
                }

                var now = Stopwatch.GetTimestamp();
                while (_due.TryPeek(out var signal, out var at) && at <= now)
                {
                    _due.Dequeue();
                    _firing.Add(signal);
                }
            }

            Interlocked.Add(ref _fired, _firing.Count);
            foreach (var signal in _firing)
            {
                signal.TrySetResult();
            }

            _firing.Clear();
        }
    }
}
