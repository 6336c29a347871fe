using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Hosting.Tracing;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// The sink the predict path calls: samples rows, writes each kept row as a record's wire bytes and
/// appends them to a bounded queue without waiting. A full queue drops the record and counts it;
/// <see cref="PredictionLogSender"/> takes the queue's batches onto the stream. Nothing is allocated per row.
/// </summary>
internal sealed partial class PredictionLogShipper : IPredictionLogSink
{
    // Records up to this size are encoded into a buffer of the calling thread, kept between calls; wider ones into a rented one.
    private const int ThreadBufferBytes = 64 * 1024;

    [ThreadStatic]
    private static byte[]? t_buffer;

    private readonly PredictionLogQueue _queue;
    private readonly RecordSchemaCache _schemas;
    private readonly PredictionLogStats _stats;
    private readonly ILogger<PredictionLogShipper> _logger;
    private readonly double _sampleRate;
    private int _errorLogged;

    public PredictionLogShipper(RecordSchemaCache schemas, PredictionLogStats stats, IOptions<PredictionLogOptions> options, ILogger<PredictionLogShipper> logger)
    {
        _schemas = schemas;
        _stats = stats;
        _logger = logger;
        _sampleRate = options.Value.SampleRate;
        _queue = new PredictionLogQueue(options.Value);
    }

    public bool Enabled => true;

    /// <summary>The queue the sender takes batches from.</summary>
    public PredictionLogQueue Queue => _queue;

    /// <summary>Records waiting in the queue.</summary>
    public int QueueLength => _queue.Count;

    /// <summary>What the records waiting in the queue count against <see cref="PredictionLogOptions.QueueCapacityBytes"/>.</summary>
    public long QueuedBytes => _queue.Bytes;

    public void Record(in PredictionContext prediction)
    {
        // Traced requests show their rows joining the queue; the batch span that ships them links back to this one.
        using var span = ServingActivitySources.Worker.StartActivity("prediction log enqueue");
        try
        {
            var enqueued = Enqueue(prediction, span?.Context ?? default);
            if (span is not null)
            {
                span.SetTag("serving.model", prediction.Model);
                span.SetTag("serving.version", prediction.Version);
                span.SetTag("serving.logs.records", enqueued);
            }
        }
        catch (Exception e)
        {
            // Logging never fails a prediction: count the request's rows as dropped and say why once.
            _stats.OnError(1);
            if (Interlocked.Exchange(ref _errorLogged, 1) == 0)
            {
                Log.ConversionFailed(_logger, prediction.Model, prediction.Version, e);
            }
        }
    }

    /// <summary>No more records are taken (shutdown); later ones are counted as dropped (stopped).</summary>
    public void Complete() => _queue.Complete();

    /// <summary>Queues the kept rows; returns how many were queued.</summary>
    private int Enqueue(in PredictionContext prediction, ActivityContext origin)
    {
        var layout = _schemas.Resolve(prediction);
        if (layout is null)
        {
            return 0;
        }

        var enqueued = 0;
        var rows = RecordLayout.RowsOf(layout.Batched, prediction.Inputs);
        var timestamp = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        long sampledOut = 0;
        try
        {
            for (long row = 0; row < rows; row++)
            {
                if (_sampleRate < 1 && (_sampleRate <= 0 || Random.Shared.NextDouble() >= _sampleRate))
                {
                    sampledOut++;
                    continue;
                }

                switch (Append(layout, prediction, row, timestamp, origin))
                {
                    case PredictionLogQueue.Outcome.Queued:
                        enqueued++;
                        break;
                    case PredictionLogQueue.Outcome.Full:
                        _stats.OnQueueFull();
                        break;
                    default:
                        _stats.OnStopped(rows - row);
                        return enqueued;
                }
            }
        }
        finally
        {
            // Counted once per request, not per row: the rows queued before a failure stay counted.
            if (enqueued > 0)
            {
                _stats.OnEnqueued(enqueued);
                PredictionLogStats.AddQueueDepth(enqueued);
            }

            if (sampledOut > 0)
            {
                _stats.OnSampledOut(sampledOut);
            }
        }

        return enqueued;
    }

    // Encodes the row outside the queue's lock, into this thread's buffer (or a rented one for a wide row), then appends the bytes.
    private PredictionLogQueue.Outcome Append(RecordLayout layout, in PredictionContext prediction, long row, long timestamp, ActivityContext origin)
    {
        var size = layout.RecordSize(prediction, row, timestamp);
        if (size > ThreadBufferBytes)
        {
            var rented = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                var written = layout.WriteRecord(rented, prediction, row, timestamp);
                return _queue.TryAppend(layout, rented.AsSpan(0, written), origin);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        var buffer = t_buffer ??= new byte[ThreadBufferBytes];
        var length = layout.WriteRecord(buffer, prediction, row, timestamp);
        return _queue.TryAppend(layout, buffer.AsSpan(0, length), origin);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Prediction log: a prediction of {Model} version {Version} could not be turned into records; such rows are dropped and counted (reported once)")]
        public static partial void ConversionFailed(ILogger logger, string model, string version, Exception exception);
    }
}
