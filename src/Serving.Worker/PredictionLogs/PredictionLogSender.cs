using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Hosting.Logging;
using Serving.Hosting.Tracing;
using Serving.Protocol.PredictionLogs;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// Keeps one Ingest stream to the drift monitor open and drains the queue onto it in batches (full
/// batch or flush interval), with a bounded window of unacknowledged batches.
/// </summary>
/// <remarks>
/// <para>
/// When the stream breaks, it is reopened after an exponential backoff. Batches that were sent but
/// not acknowledged are sent again, once, at the start of the next stream (so a record may reach
/// the archive twice, never silently zero times); if that stream breaks too before their ack, they
/// are counted as lost. Records that never left the queue stay queued; meanwhile a full queue
/// drops and counts new records.
/// </para>
/// <para>
/// A stream the monitor ends because it could not archive (its disk full or unwritable) says so in a trailer
/// (<see cref="IngestTrailers.NotArchived"/>): its unacknowledged batches are known not to be archived, so they are
/// kept and sent again for as long as that lasts, without using up their re-send. The window of unacknowledged batches
/// bounds what is held; new records wait in the queue, and its overflow is dropped and counted. A stream refused
/// UNAUTHENTICATED (no or wrong <see cref="PredictionLogOptions.IngestToken"/>) says so too: its batches are held the same
/// way, the refusal is logged once as an error naming the setting, and the stream is retried at the longest backoff.
/// </para>
/// <para>
/// On shutdown (after the web server has stopped taking requests) the queue is closed, and what
/// is left is sent and acknowledged within <see cref="PredictionLogOptions.ShutdownFlushTimeout"/>;
/// records still queued or unacknowledged then are counted as unsent.
/// </para>
/// </remarks>
internal sealed partial class PredictionLogSender(
    PredictionLogShipper shipper,
    IPredictionLogTransport transport,
    PredictionLogStats stats,
    IOptions<PredictionLogOptions> options,
    ILogger<PredictionLogSender> logger) : BackgroundService
{
    private readonly PredictionLogOptions _options = options.Value;
    private readonly List<PendingBatch> _retry = [];
    private ulong _sequence;
    private int _failedStreams;

    // The hello of the current stream was acknowledged; and a stream broke after its hello's ack (the monitor answered
    // but could not take a batch: its archive full or unwritable). Then the next hello's ack proves nothing, and only an
    // ack of records counts as the monitor being back: else every reconnect reset the backoff and logged "back", and a
    // monitor whose disk was full was retried every ReconnectBackoffMin, with a warning and an all-clear each time.
    private volatile bool _helloAcked;
    private volatile bool _brokeAfterHello;
    // A misconfigured model rejects every batch: its line at most every 30 s.
    private readonly LogGate _rejectionLog = new(TimeSpan.FromSeconds(30));

    // A monitor whose acks miscount a batch: its line at most every 30 s.
    private readonly LogGate _ackCountLog = new(TimeSpan.FromSeconds(30));

    // A monitor that takes a few batches on every stream and then breaks it is "back" each time: the break's warning at
    // most every 30 s (Debug between, and "is back" only after a break that was warned of). Records lost: one line per
    // break, at most every 30 s (the counter has them all).
    private readonly LogGate _breakLog = new(TimeSpan.FromSeconds(30));
    private readonly LogGate _lostLog = new(TimeSpan.FromSeconds(30));
    private volatile bool _breakLogged;

    // The monitor's refusal of the token was logged; cleared when it acknowledges again.
    private volatile bool _refusalLogged;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // A host stopped right after it started may cancel ExecuteAsync before it ran: still close and count.
        if (_options.IsEnabled && ExecuteTask is { IsCanceled: true })
        {
            shipper.Complete();
            CountUnsent();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.IsEnabled)
        {
            return;
        }

        // Stop closes the queue and starts the flush clock; the loop ends when all is acked or the clock runs out.
        using var flushDeadline = new CancellationTokenSource();
        using var onStop = stoppingToken.Register(() =>
        {
            shipper.Complete();
            flushDeadline.CancelAfter(_options.ShutdownFlushTimeout);
        });
        var backoff = new ReconnectBackoff(_options.ReconnectBackoffMin, _options.ReconnectBackoffMax);
        var first = true;
        while (!flushDeadline.IsCancellationRequested && !IsFlushed(stoppingToken))
        {
            if (!first)
            {
                stats.OnReconnect();
            }

            first = false;
            try
            {
                if (await RunStreamAsync(backoff, flushDeadline.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
            catch (Exception e)
            {
                // Whatever went wrong with this stream, the sender must outlive it: logging stays on.
                Log.Unexpected(logger, e);
            }

            await WaitBeforeReconnectAsync(backoff.Next(), stoppingToken, flushDeadline.Token).ConfigureAwait(false);
        }

        CountUnsent();
    }

    // Stopping with nothing queued, half-built or waiting for a re-send: no stream is needed.
    private bool IsFlushed(CancellationToken stoppingToken) =>
        stoppingToken.IsCancellationRequested && shipper.Queue.IsDrained && _retry.Count == 0;

    // Until shutdown, a stop cuts the wait short so the flush starts at once; during the flush only its deadline does.
    private static async Task WaitBeforeReconnectAsync(TimeSpan delay, CancellationToken stoppingToken, CancellationToken flushDeadline)
    {
        try
        {
            await Task.Delay(delay, stoppingToken.IsCancellationRequested ? flushDeadline : stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping or out of flush time: the loop decides.
        }
    }

    /// <summary>One stream's life; true once the queue is closed, drained and every batch acknowledged.</summary>
    private async Task<bool> RunStreamAsync(ReconnectBackoff backoff, CancellationToken flushDeadline)
    {
        using var streamCts = CancellationTokenSource.CreateLinkedTokenSource(flushDeadline);
        using var unacked = new UnackedBatches(_options.MaxUnackedBatches);
        Task<Exception?> reading = Task.FromResult<Exception?>(null);
        var drained = false;
        _helloAcked = false;
        try
        {
            using var call = transport.Open(streamCts.Token);
            reading = ReadAcksAsync(call.ResponseStream, unacked, backoff, streamCts);
            await SendAsync(call, PendingBatch.Hello(), unacked, streamCts.Token).ConfigureAwait(false);

            // A batch to send again has one more stream: not one that ends before the monitor reads it. A monitor that is
            // shutting down takes the call and ends it unread; batches written to it meanwhile were counted lost (a
            // rolling restart of the monitor lost the batches in flight). Its ack of the hello shows it reads the stream.
            if (_retry.Count > 0 && !await unacked.WaitForAllAsync(_options.AckTimeout, streamCts.Token).ConfigureAwait(false))
            {
                throw new TimeoutException("the drift monitor did not acknowledge the opening of the stream in time");
            }

            while (_retry.Count > 0)
            {
                var retry = _retry[0];
                _retry.RemoveAt(0);
                await SendAsync(call, retry, unacked, streamCts.Token).ConfigureAwait(false);
            }

            while (await NextBatchAsync(streamCts.Token).ConfigureAwait(false) is { } batch)
            {
                await SendAsync(call, batch, unacked, streamCts.Token).ConfigureAwait(false);
            }

            if (!await unacked.WaitForAllAsync(_options.AckTimeout, streamCts.Token).ConfigureAwait(false))
            {
                throw new TimeoutException("the drift monitor did not acknowledge the last batches in time");
            }

            drained = true;
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);

            // Let the monitor close its side, so the call ends cleanly instead of being reset by the dispose.
            await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(1), flushDeadline)).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or InvalidOperationException or TimeoutException or HttpRequestException)
        {
            if (!flushDeadline.IsCancellationRequested)
            {
                // The sender only sees its wait or write cancelled (a write in progress as gRPC's Cancelled, with no detail)
                // when the ack reader found the break: report the reader's cause.
                // The reader cancels the sender from its finally, before its own task is complete: wait for it (briefly: it is
                // ending), or the cause was often "the monitor closed the stream" instead of the monitor's status.
                var cancelled = e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled };
                if (cancelled && !reading.IsCompleted)
                {
                    await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
                }

                var cause = cancelled && reading.IsCompleted ? await reading.ConfigureAwait(false) ?? e : e;

                // Refused for its token: no retry helps until someone sets it, so the retries come at the longest backoff.
                var unauthenticated = cause is RpcException { StatusCode: StatusCode.Unauthenticated };
                if (unauthenticated)
                {
                    backoff.ToMax();
                }

                // While the monitor stays down, say so once; the retries that follow are Debug. A refused token is said once
                // too, even when the monitor was down before it refused.
                var firstFailure = Interlocked.Increment(ref _failedStreams) == 1;
                if (unauthenticated && !_refusalLogged)
                {
                    _refusalLogged = true;
                    _breakLogged = true;
                    Log.Unauthenticated(logger, _options.Endpoint!, ((RpcException)cause).Status.Detail, _options.ReconnectBackoffMax.TotalSeconds);
                }
                else if (firstFailure && _breakLog.TryPass())
                {
                    _breakLogged = true;
                    Log.StreamBroke(logger, _options.Endpoint!, Describe(cause));
                }
                else
                {
                    Log.StillDown(logger, _options.Endpoint!, Describe(cause));
                }
            }

            return drained;
        }
        finally
        {
            await streamCts.CancelAsync().ConfigureAwait(false);
            await ((Task)reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!drained && _helloAcked)
            {
                _brokeAfterHello = true;
            }

            stats.SetConnected(false);
            KeepUnacknowledged(unacked.TakeAll(), NotArchived(reading));
        }
    }

    private async Task SendAsync(AsyncDuplexStreamingCall<PendingBatch, IngestAck> call, PendingBatch batch, UnackedBatches unacked, CancellationToken cancellationToken)
    {
        bool hasSlot;
        try
        {
            hasSlot = await unacked.WaitForSlotAsync(_options.AckTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KeepUnwritten(batch);
            throw;
        }

        if (!hasSlot)
        {
            KeepUnwritten(batch);
            throw new TimeoutException($"no ack for {_options.AckTimeout.TotalSeconds:0.#} s with {_options.MaxUnackedBatches} batches unacknowledged");
        }

        batch.Sequence = ++_sequence;
        unacked.Add(batch);
        // A trace of its own (it carries many requests' rows), linked to each request's enqueue span.
        using var span = batch.Count > 0 ? ServingActivitySources.Worker.StartActivity("prediction log send", ActivityKind.Producer, default(ActivityContext), links: batch.Links) : null;
        span?.SetTag("serving.logs.sequence", (long)batch.Sequence);
        span?.SetTag("serving.logs.linked_requests", batch.Links?.Count ?? 0);
        span?.SetTag("serving.logs.records", batch.Count);
        span?.SetTag("serving.logs.attempt", batch.Attempts + 1);

        // A monitor that stops reading the stream (or a peer that takes the connection and never speaks HTTP/2) holds the
        // write on flow control, where no ack can come: the write is bounded by AckTimeout too, and the stream reopened.
        // (Its cancel cancels the call, and the ack reader then cancels the stream's token: the deadline is told apart by its own source.)
        using var writeDeadline = new CancellationTokenSource(_options.AckTimeout);
        using var writeCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, writeDeadline.Token);
        try
        {
            await call.RequestStream.WriteAsync(batch, writeCancel.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // A write that failed never became a whole message on the wire, so it doesn't use up the batch's re-send.
            if (unacked.TryAcknowledge(batch.Sequence, out _))
            {
                KeepUnwritten(batch);
            }

            if (writeDeadline.IsCancellationRequested)
            {
                throw new TimeoutException($"the drift monitor took no batch for {_options.AckTimeout.TotalSeconds:0.#} s (it does not read the stream)", e);
            }

            throw;
        }

        batch.Attempts++;
        stats.OnSent(batch.Count, batch.Attempts > 1);
    }

    // A batch that was never written goes first on the next stream without using up its one re-send.
    private void KeepUnwritten(PendingBatch batch)
    {
        if (batch.Count > 0)
        {
            _retry.Insert(0, batch);
        }
    }

    /// <summary>Reads acks until the stream ends; returns why it ended (null when the monitor closed it normally).</summary>
    private async Task<Exception?> ReadAcksAsync(IAsyncStreamReader<IngestAck> acks, UnackedBatches unacked, ReconnectBackoff backoff, CancellationTokenSource stream)
    {
        try
        {
            while (await acks.MoveNext(stream.Token).ConfigureAwait(false))
            {
                var ack = acks.Current;
                if (!unacked.TryAcknowledge(ack.Sequence, out var acknowledged))
                {
                    Log.UnexpectedAck(logger, ack.Sequence);
                    continue;
                }

                var hello = acknowledged!.Count == 0;
                var (accepted, rejected) = Counted(ack, acknowledged.Count);
                acknowledged.Release();

                stats.SetConnected(true);
                if (hello)
                {
                    _helloAcked = true;
                }

                if (!hello || !_brokeAfterHello)
                {
                    _brokeAfterHello = false;
                    backoff.Reset();
                    _refusalLogged = false;
                    if (Interlocked.Exchange(ref _failedStreams, 0) is > 0 and var failed && _breakLogged)
                    {
                        _breakLogged = false;
                        Log.Reconnected(logger, _options.Endpoint!, failed);
                    }
                }

                stats.OnAcked(accepted, rejected);
                if (ack.Rejections.Count > 0)
                {
                    LogRejection(ack);
                }
            }

            return null;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            // The sender sees the broken stream through the cancellation below.
            return e;
        }
        finally
        {
            // The monitor ended the stream or it broke: stop the sender's writes and waits.
            await stream.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The next batch (see <see cref="PredictionLogQueue.TakeAsync"/>); null when the queue is closed and empty.</summary>
    /// <remarks>
    /// The queue wakes the sender when a batch is full, or once for the first record of an idle queue; a partial batch
    /// goes when its first record has waited <see cref="PredictionLogOptions.FlushInterval"/>. No wake per record: at tens
    /// of thousands of records/s each would cost a thread-pool hop taken from the predict path's cores.
    /// </remarks>
    private async Task<PendingBatch?> NextBatchAsync(CancellationToken cancellationToken)
    {
        var queue = shipper.Queue;
        if (await queue.TakeAsync(cancellationToken).ConfigureAwait(false) is not { } segment)
        {
            return null;
        }

        PredictionLogStats.AddQueueDepth(-segment.Records);
        return PendingBatch.Of(segment, queue);
    }

    // True when the monitor ended the stream saying that what it had not acknowledged is not in its archive: it could not
    // write it (UNAVAILABLE), or it read nothing of a stream without the right token (UNAUTHENTICATED).
    private static bool NotArchived(Task<Exception?> reading) =>
        reading.IsCompletedSuccessfully
        && reading.Result is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Unauthenticated } refused
        && refused.Trailers.GetValue(IngestTrailers.NotArchived) == IngestTrailers.True;

    // A batch written once gets one more stream; written twice and still unacknowledged, it is lost (and counted). A
    // stream the monitor ended with "not archived" doesn't count: the batch is known not to be archived, not unknown.
    private void KeepUnacknowledged(List<PendingBatch> batches, bool notArchived)
    {
        long lost = 0;
        foreach (var batch in batches.Where(b => b.Count > 0))
        {
            if (notArchived)
            {
                batch.NotArchived++;
            }

            if (batch.Attempts - batch.NotArchived >= 2)
            {
                stats.OnLost(batch.Count);
                lost += batch.Count;
                batch.Release();
            }
            else
            {
                _retry.Add(batch);
            }
        }

        if (lost > 0 && _lostLog.TryPass())
        {
            Log.Lost(logger, lost);
        }
    }

    private void CountUnsent()
    {
        var unsent = (long)_retry.Sum(b => b.Count);
        foreach (var batch in _retry)
        {
            batch.Release();
        }

        _retry.Clear();
        var queued = 0;
        while (shipper.Queue.TryTake(out var segment))
        {
            queued += segment!.Records;
            shipper.Queue.Return(segment);
        }

        PredictionLogStats.AddQueueDepth(-queued);
        unsent += queued;
        if (unsent > 0)
        {
            stats.OnUnsent(unsent);
            Log.Unsent(logger, unsent, _options.ShutdownFlushTimeout.TotalSeconds);
        }
    }

    // The batch's records are counted from the batch: an ack whose counts don't add up to it (a monitor that misbehaves) must
    // not make records vanish from the accounting, count them twice, or turn a counter negative (Prometheus throws on that).
    // What the monitor did not say it archived counts as rejected.
    private (long Accepted, long Rejected) Counted(IngestAck ack, int records)
    {
        if (ack.Accepted >= 0 && ack.Rejected >= 0 && ack.Accepted + ack.Rejected == records)
        {
            return (ack.Accepted, ack.Rejected);
        }

        var accepted = Math.Clamp(ack.Accepted, 0, records);
        if (_ackCountLog.TryPass())
        {
            Log.AckCountsWrong(logger, ack.Sequence, records, ack.Accepted, ack.Rejected, accepted, records - accepted);
        }

        return (accepted, records - accepted);
    }

    private void LogRejection(IngestAck ack)
    {
        if (_rejectionLog.TryPass())
        {
            Log.Rejected(logger, ack.Rejected, ack.Sequence, ack.Rejections[0].Reason);
        }
    }

    private static string Describe(Exception e) => e switch
    {
        RpcException rpc => $"{rpc.StatusCode}: {rpc.Status.Detail}",
        OperationCanceledException => "the monitor closed the stream",
        _ => e.Message,
    };

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Prediction log stream to {Endpoint} broke ({Reason}); reconnecting with backoff")]
        public static partial void StreamBroke(ILogger logger, string endpoint, string reason);

        [LoggerMessage(9, LogLevel.Error, "Prediction log: the drift monitor at {Endpoint} refused the stream (UNAUTHENTICATED: {Reason}). Set Serving:Worker:PredictionLogs:IngestToken to the monitor's Serving:Drift:IngestToken; until then records are held (a full queue drops and counts new ones) and the stream is retried every {Seconds} s (ReconnectBackoffMax)")]
        public static partial void Unauthenticated(ILogger logger, string endpoint, string reason, double seconds);

        [LoggerMessage(2, LogLevel.Warning, "Prediction log: the drift monitor refused {Count} record(s) of batch {Sequence}: {Reason}")]
        public static partial void Rejected(ILogger logger, long count, ulong sequence, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Prediction log: {Count} record(s) could not be delivered within the {Seconds} s shutdown flush and are counted as unsent")]
        public static partial void Unsent(ILogger logger, long count, double seconds);

        [LoggerMessage(8, LogLevel.Warning, "Prediction log: {Count} record(s) were sent on two streams that both broke before the drift monitor acknowledged them, and are counted as lost (serving_prediction_logs_lost_total; this line at most every 30 s)")]
        public static partial void Lost(ILogger logger, long count);

        [LoggerMessage(6, LogLevel.Debug, "Prediction log stream to {Endpoint} still down ({Reason})")]
        public static partial void StillDown(ILogger logger, string endpoint, string reason);

        [LoggerMessage(7, LogLevel.Information, "Prediction log stream to {Endpoint} is back after {Failures} failed attempt(s)")]
        public static partial void Reconnected(ILogger logger, string endpoint, int failures);

        [LoggerMessage(5, LogLevel.Error, "Prediction log: the stream failed unexpectedly; reconnecting with backoff")]
        public static partial void Unexpected(ILogger logger, Exception exception);

        [LoggerMessage(10, LogLevel.Warning, "Prediction log: the drift monitor's ack of batch {Sequence} ({Records} record(s)) says {Accepted} accepted and {Rejected} rejected; counted as {CountedAccepted} acked and {CountedRejected} rejected (serving_prediction_logs_rejected_total: what it did not say it archived). Reported at most every 30 s")]
        public static partial void AckCountsWrong(ILogger logger, ulong sequence, int records, long accepted, long rejected, long countedAccepted, long countedRejected);

        [LoggerMessage(4, LogLevel.Debug, "Prediction log: ack for unknown batch {Sequence} ignored")]
        public static partial void UnexpectedAck(ILogger logger, ulong sequence);
    }
}
