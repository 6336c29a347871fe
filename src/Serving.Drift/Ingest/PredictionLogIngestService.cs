using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serving.Drift.Archive;
using Serving.Drift.Monitoring;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// The Ingest stream: each batch is processed in order and acknowledged once its records are
/// archived; the next batch is received while the previous one is flushed. A malformed batch (or bytes that are not a batch) ends that stream with
/// INVALID_ARGUMENT; a failed archive write ends it with UNAVAILABLE (the sender re-sends the
/// unacknowledged batches). Other streams and the process carry on. Bound by <see cref="IngestMethod"/>: batches
/// arrive as pooled <see cref="IngestBatch"/>es, each given back once acknowledged. With <see cref="Hosting.DriftOptions.IngestToken"/>
/// set, a stream without that bearer token ends UNAUTHENTICATED before anything is read.
/// </summary>
internal sealed partial class PredictionLogIngestService(
    IngestPipeline pipeline,
    DriftMonitor monitor,
    DriftMetrics metrics,
    IngestAuthorization authorization,
    ArchiveFailureLog archiveFailures,
    IHostApplicationLifetime lifetime,
    ILogger<PredictionLogIngestService> logger)
{
    public async Task Ingest(IAsyncStreamReader<IngestBatch> requestStream, IServerStreamWriter<IngestAck> responseStream, ServerCallContext context)
    {
        // With Serving:Drift:IngestToken set, a stream without it ends before a batch is read: nothing of it is archived
        // or scored (the trailer tells the worker so, and it keeps its records).
        if (authorization.Refusal(context) is { } refusal)
        {
            metrics.OnStreamFailed("unauthenticated");
            if (authorization.TakeLogTurn())
            {
                Log.Unauthenticated(logger, context.Peer, refusal);
            }

            throw new RpcException(new Status(StatusCode.Unauthenticated, refusal), new Metadata { { IngestTrailers.NotArchived, IngestTrailers.True } });
        }

        var bindings = new SchemaBindings(monitor);
        metrics.OnStreamOpened();
        Log.StreamOpened(logger, context.Peer);

        // A long-lived stream would hold shutdown for the whole drain timeout: stop reading when shutdown
        // starts (the batch being processed still gets its ack) and tell the sender to come back later.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await ReadAndAckAsync(requestStream, responseStream, bindings, reading, context.CancellationToken).ConfigureAwait(false);
            Log.StreamClosed(logger, context.Peer);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            Log.ShuttingDown(logger, context.Peer);
            throw new RpcException(new Status(StatusCode.Unavailable, "the drift monitor is shutting down; reconnect and send unacknowledged batches again"));
        }
        catch (Exception e) when (e is IOException || (e is OperationCanceledException && context.CancellationToken.IsCancellationRequested))
        {
            // The sender went away mid-stream (reset or shutdown); it re-sends what was not acknowledged.
            Log.Aborted(logger, context.Peer);
        }
        catch (MalformedBatchException e)
        {
            metrics.OnStreamFailed("malformed");
            Log.Malformed(logger, context.Peer, e.Message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (ArchiveUnavailableException e)
        {
            metrics.OnStreamFailed("archive");
            if (archiveFailures.TakeTurn() is { } unlogged)
            {
                Log.ArchiveFailed(logger, context.Peer, unlogged, e);
            }

            // Nothing after the last ack is in the archive (the failed batch's lines were cut back, later ones not
            // processed): the trailer lets the worker keep those batches for as long as the archive fails.
            throw new RpcException(
                new Status(StatusCode.Unavailable, "the prediction archive could not be written; unacknowledged batches must be sent again"),
                new Metadata { { IngestTrailers.NotArchived, IngestTrailers.True } });
        }
        finally
        {
            metrics.OnStreamClosed();
        }
    }

    // Batches are processed and acknowledged in order, one at a time; the next one is read (received and parsed)
    // while the previous one waits for its fsync, is scored and acknowledged. Whatever ends the reading, the batch
    // in hand still gets its ack (or its failure) first.
    private async Task ReadAndAckAsync(
        IAsyncStreamReader<IngestBatch> requestStream,
        IServerStreamWriter<IngestAck> responseStream,
        SchemaBindings bindings,
        CancellationTokenSource reading,
        CancellationToken call)
    {
        Task? inHand = null;
        try
        {
            while (true)
            {
                var next = NextAsync(requestStream, reading.Token, call);
                if (inHand is not null && await Task.WhenAny(next, inHand).ConfigureAwait(false) == inHand && !inHand.IsCompletedSuccessfully)
                {
                    // The batch in hand failed (malformed, archive down): end the stream now, not when another batch
                    // comes; but not with the read of the next one still pending. Kestrel pools a finished stream's
                    // request body for the connection's later streams, and one left reading made a later stream's
                    // first read fail ("Reading is already in progress"): that stream ended UNKNOWN.
                    await reading.CancelAsync().ConfigureAwait(false);
                    await next.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                    if (next.IsCompletedSuccessfully && next.Result)
                    {
                        requestStream.Current.Return(); // read before the cancel came; never processed
                    }

                    await inHand.ConfigureAwait(false);
                }

                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                if (inHand is not null)
                {
                    await inHand.ConfigureAwait(false);
                }

                inHand = ProcessAndAckAsync(requestStream.Current, bindings, responseStream, call);
            }
        }
        finally
        {
            if (inHand is not null)
            {
                await inHand.ConfigureAwait(false);
            }
        }
    }

    private async Task ProcessAndAckAsync(IngestBatch batch, SchemaBindings bindings, IServerStreamWriter<IngestAck> responseStream, CancellationToken call)
    {
        try
        {
            var ack = await pipeline.ProcessAsync(batch, bindings, call).ConfigureAwait(false);
            await responseStream.WriteAsync(ack, call).ConfigureAwait(false);
        }
        finally
        {
            // Nothing holds the batch's records past processing (the archive has its lines, the windows their values).
            batch.Return();
        }
    }

    // Bytes that don't parse as a batch surface from the framework's reader: report them as this stream's fault. So do
    // gRPC frames it can't read while the sender is still there: a message compressed in a way its grpc-encoding can't
    // inflate (InvalidDataException), or a length past 2^31 - 1 (IOException "Message too large: N"), which would
    // otherwise end the stream OK, as if the sender had gone away, with what followed it unacknowledged.
    private const string GrpcTooLarge = "Message too large";

    private static async Task<bool> NextAsync(IAsyncStreamReader<IngestBatch> requestStream, CancellationToken cancellationToken, CancellationToken call)
    {
        try
        {
            return await requestStream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e) when (e.InnerException is MalformedBatchException inner)
        {
            throw new MalformedBatchException(inner.Message);
        }
        catch (InvalidDataException e)
        {
            throw new MalformedBatchException($"a message of the stream could not be read ({e.Message}): send batches as gRPC messages, uncompressed or in their grpc-encoding");
        }
        catch (IOException e) when (!call.IsCancellationRequested && e.Message.StartsWith(GrpcTooLarge, StringComparison.Ordinal))
        {
            // Told apart from a sender that went away (Kestrel's IOException too) by grpc-dotnet's text; were that text to
            // change, the stream would end as before, as if the sender had gone.
            throw new MalformedBatchException("a message's gRPC frame header declares a length of 2 GiB or more; a batch may hold at most Serving:Drift:MaxBatchBytes bytes");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Drift: ingest stream from {Peer} opened")]
        public static partial void StreamOpened(ILogger logger, string peer);

        [LoggerMessage(2, LogLevel.Information, "Drift: ingest stream from {Peer} closed")]
        public static partial void StreamClosed(ILogger logger, string peer);

        [LoggerMessage(3, LogLevel.Warning, "Drift: ingest stream from {Peer} ended: malformed input: {Problem}")]
        public static partial void Malformed(ILogger logger, string peer, string problem);

        [LoggerMessage(5, LogLevel.Information, "Drift: ingest stream from {Peer} ended: shutting down")]
        public static partial void ShuttingDown(ILogger logger, string peer);

        [LoggerMessage(6, LogLevel.Information, "Drift: ingest stream from {Peer} aborted by the sender")]
        public static partial void Aborted(ILogger logger, string peer);

        [LoggerMessage(7, LogLevel.Warning, "Drift: ingest stream from {Peer} refused: {Problem} (at most one such line every 30 s)")]
        public static partial void Unauthenticated(ILogger logger, string peer, string problem);

        [LoggerMessage(4, LogLevel.Error, "Drift: ingest stream from {Peer} ended: the archive write failed ({Unlogged} more such failures since the last such line; at most one every 30 s)")]
        public static partial void ArchiveFailed(ILogger logger, string peer, long unlogged, Exception exception);
    }
}
