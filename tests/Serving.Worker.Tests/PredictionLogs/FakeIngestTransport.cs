using System.Threading.Channels;
using Grpc.Core;
using Serving.Protocol.PredictionLogs;
using Serving.Worker.PredictionLogs;

namespace Serving.Worker.Tests.PredictionLogs;

/// <summary>
/// A hand-written Ingest transport: each Open is a <see cref="FakeIngestStream"/> that records the
/// batches written and acknowledges them (at once, or when the test says).
/// </summary>
internal sealed class FakeIngestTransport : IPredictionLogTransport
{
    private readonly List<FakeIngestStream> _streams = [];

    /// <summary>True: every batch is acknowledged as soon as it is written.</summary>
    public bool AutoAck { get; set; } = true;

    /// <summary>This many upcoming opens fail as if the monitor were down.</summary>
    public int FailingOpens { get; set; }

    /// <summary>
    /// True: a stream acknowledges the empty opening batch, then breaks on the first batch with records, as a monitor
    /// whose archive can't be written ends the stream UNAVAILABLE.
    /// </summary>
    public bool BreakOnRecords { get; set; }

    /// <summary>
    /// With <see cref="BreakOnRecords"/>: the stream ends as the drift monitor ends it when its archive can't be
    /// written, UNAVAILABLE with the <see cref="IngestTrailers.NotArchived"/> trailer; without, as a stream that broke.
    /// </summary>
    public bool SaysNotArchived { get; set; }

    /// <summary>True: a write waits until its call is cancelled, then fails as gRPC fails a cancelled write (Cancelled, no detail).</summary>
    public bool WritesHang { get; set; }

    public IReadOnlyList<FakeIngestStream> Streams
    {
        get
        {
            lock (_streams)
            {
                return [.. _streams];
            }
        }
    }

    /// <summary>Every batch with records written on any stream, in order.</summary>
    public IReadOnlyList<PredictionLogBatch> DataBatches => [.. Streams.SelectMany(s => s.Written).Where(b => b.Records.Count > 0)];

    public AsyncDuplexStreamingCall<PendingBatch, IngestAck> Open(CancellationToken cancellationToken)
    {
        FakeIngestStream stream;
        lock (_streams)
        {
            var failing = FailingOpens > 0;
            if (failing)
            {
                FailingOpens--;
            }

            stream = new FakeIngestStream(AutoAck, failing, BreakOnRecords, WritesHang, SaysNotArchived);
            _streams.Add(stream);
        }

        return new AsyncDuplexStreamingCall<PendingBatch, IngestAck>(
            stream, stream, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], stream.Break);
    }
}

/// <summary>
/// One fake Ingest call: the request writer and the ack reader. Each batch written is parsed from its wire bytes
/// with the generated <see cref="PredictionLogBatch"/> parser, as the drift monitor reads it.
/// </summary>
internal sealed class FakeIngestStream(bool autoAck, bool failing, bool breakOnRecords = false, bool writesHang = false, bool saysNotArchived = false)
    : IClientStreamWriter<PendingBatch>, IAsyncStreamReader<IngestAck>
{
    private static readonly RpcException Down = new(new Status(StatusCode.Unavailable, "monitor down"));

    private static readonly RpcException NotArchived = new(
        new Status(StatusCode.Unavailable, "the prediction archive could not be written"),
        new Metadata { { IngestTrailers.NotArchived, IngestTrailers.True } });

    private RpcException _end = Down;

    private readonly Channel<IngestAck> _acks = Channel.CreateUnbounded<IngestAck>();
    private readonly List<PredictionLogBatch> _written = [];
    private volatile bool _broken = failing;
    private int _hanging;

    public IReadOnlyList<PredictionLogBatch> Written
    {
        get
        {
            lock (_written)
            {
                return [.. _written];
            }
        }
    }

    public bool Completed { get; private set; }

    public IngestAck Current { get; private set; } = new();

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(PendingBatch batch) => WriteAsync(batch, CancellationToken.None);

    public Task WriteAsync(PendingBatch batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (writesHang)
        {
            return HangAsync(cancellationToken);
        }

        if (_broken)
        {
            return Task.FromException(_end);
        }

        // Parsed now, while the batch's bytes are the sender's: after its ack they go back to the queue for reuse.
        var bytes = batch.ToArray();
        Assert.Equal(batch.MessageSize, bytes.Length);
        var message = PredictionLogBatch.Parser.ParseFrom(bytes);
        lock (_written)
        {
            _written.Add(message);
        }

        if (breakOnRecords && message.Records.Count > 0)
        {
            if (saysNotArchived)
            {
                _end = NotArchived;
            }

            Break();
        }
        else if (autoAck)
        {
            Ack(message.Sequence, message.Records.Count);
        }

        return Task.CompletedTask;
    }

    /// <summary>Written bytes that never go out: the write ends only when the call is cancelled.</summary>
    public int HangingWrites => Volatile.Read(ref _hanging);

    public Task CompleteAsync()
    {
        Completed = true;
        _acks.Writer.TryComplete();
        return Task.CompletedTask;
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (_broken && !_acks.Reader.TryPeek(out _))
        {
            throw _end;
        }

        if (!await _acks.Reader.WaitToReadAsync(cancellationToken))
        {
            return false;
        }

        Current = await _acks.Reader.ReadAsync(cancellationToken);
        return true;
    }

    private async Task HangAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _hanging);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, string.Empty));
        }
    }

    public void Ack(ulong sequence, long accepted, params Rejection[] rejections) =>
        _acks.Writer.TryWrite(new IngestAck { Sequence = sequence, Accepted = accepted, Rejected = rejections.Length, Rejections = { rejections } });

    /// <summary>The connection drops: reads and writes fail from now on.</summary>
    public void Break()
    {
        _broken = true;
        _acks.Writer.TryComplete(_end);
    }
}
