using Serving.LoadTests.Generator;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// Tallies acks of every stream of one ingest run: all of them, and those that arrive inside the measured
/// window [end of warmup, stop). Safe from any thread.
/// </summary>
internal sealed class IngestMeter(long measureFrom, long? maxMeasuredRecords)
{
    private long _batches;
    private long _acked;
    private long _rejected;
    private long _measured;
    private long _stoppedAt;

    /// <summary>Ack latency in the window.</summary>
    public LatencyRecorder AckLatency { get; } = new();

    /// <summary>Acks received.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Records accepted, warmup included.</summary>
    public long Acked => Interlocked.Read(ref _acked);

    /// <summary>Records refused.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Records accepted inside the window.</summary>
    public long Measured => Interlocked.Read(ref _measured);

    /// <summary>True once the window has ended (time or record count).</summary>
    public bool Stopped => Interlocked.Read(ref _stoppedAt) != 0;

    /// <summary>The window's length so far, or in all once stopped.</summary>
    public double MeasuredSeconds(long now)
    {
        var end = Stopped ? Interlocked.Read(ref _stoppedAt) : now;
        return Math.Max(0, Timestamps.ToSeconds(end - measureFrom));
    }

    /// <summary>Counts one ack read at <paramref name="now"/> for a batch written at <paramref name="sentAt"/>.</summary>
    public void OnAck(long accepted, long rejected, long sentAt, long now)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _acked, accepted);
        Interlocked.Add(ref _rejected, rejected);
        if (now < measureFrom || Stopped)
        {
            return;
        }

        AckLatency.Record(Timestamps.ToMicros(now - sentAt));
        if (Interlocked.Add(ref _measured, accepted) >= maxMeasuredRecords)
        {
            Stop(now);
        }
    }

    /// <summary>Ends the window at <paramref name="now"/> (the first call wins).</summary>
    public void Stop(long now) => Interlocked.CompareExchange(ref _stoppedAt, Math.Max(now, measureFrom), 0);
}
