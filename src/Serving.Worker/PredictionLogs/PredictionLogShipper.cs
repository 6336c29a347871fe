using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Hosting.Tracing;

namespace Serving.Worker.PredictionLogs;

/// <summary>
/// The sink the predict path calls: samples rows, copies each kept row into a record and puts it
/// on a bounded queue without waiting. A full queue drops the record and counts it;
/// <see cref="PredictionLogSender"/> drains the queue onto the stream.
/// </summary>
internal sealed partial class PredictionLogShipper : IPredictionLogSink
{
    // A record's objects beyond its values (record, arrays, strings' headers).
    private const int RecordOverheadBytes = 128;

    private readonly Channel<QueuedRecord> _queue;
    private readonly RecordSchemaCache _schemas;
    private readonly PredictionLogStats _stats;
    private readonly ILogger<PredictionLogShipper> _logger;
    private readonly double _sampleRate;
    private readonly int _capacity;
    private readonly long _capacityBytes;
    private long _queuedBytes;
    private int _queuedRecords;
    private volatile bool _completed;
    private int _errorLogged;

    public PredictionLogShipper(RecordSchemaCache schemas, PredictionLogStats stats, IOptions<PredictionLogOptions> options, ILogger<PredictionLogShipper> logger)
    {
        _schemas = schemas;
        _stats = stats;
        _logger = logger;
        _sampleRate = options.Value.SampleRate;
        _capacity = options.Value.QueueCapacity;
        _capacityBytes = options.Value.QueueCapacityBytes;

        // TryWrite on a full Wait-mode channel returns false instead of dropping silently, so every drop is counted.
        _queue = Channel.CreateBounded<QueuedRecord>(new BoundedChannelOptions(_capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    public bool Enabled => true;

    /// <summary>The sender's end of the queue.</summary>
    public ChannelReader<QueuedRecord> Reader => _queue.Reader;

    /// <summary>Records waiting in the queue.</summary>
    public int QueueLength => _queue.Reader.Count;

    /// <summary>What the records waiting in the queue count against <see cref="PredictionLogOptions.QueueCapacityBytes"/>.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>The sender took <paramref name="record"/> off the queue: it and its bytes no longer count.</summary>
    public void OnDequeued(in QueuedRecord record)
    {
        Interlocked.Add(ref _queuedBytes, -record.Bytes);
        Interlocked.Decrement(ref _queuedRecords);
    }

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
    public void Complete()
    {
        _completed = true;
        _queue.Writer.TryComplete();
    }

    /// <summary>Queues the kept rows; returns how many were queued.</summary>
    private int Enqueue(in PredictionContext prediction, ActivityContext origin)
    {
        var layout = _schemas.Resolve(prediction);
        if (layout is null)
        {
            return 0;
        }

        var enqueued = 0;
        var rows = LayoutRows(layout, prediction);
        var timestamp = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        long sampledOut = 0;
        for (long row = 0; row < rows; row++)
        {
            if (_sampleRate < 1 && (_sampleRate <= 0 || Random.Shared.NextDouble() >= _sampleRate))
            {
                sampledOut++;
                continue;
            }

            if (_completed)
            {
                _stats.OnStopped(rows - row);
                break;
            }

            // Don't copy a row that can't be queued; TryWrite below stays the authority. The byte capacity is checked
            // before the copy, so the queue may pass it by at most one record per concurrent request. Our own counts,
            // not the channel's Count, which takes the channel's lock.
            if (Volatile.Read(ref _queuedRecords) >= _capacity || Volatile.Read(ref _queuedBytes) >= _capacityBytes)
            {
                CountRefused(1);
                continue;
            }

            var record = layout.BuildRecord(prediction, row, timestamp);
            var bytes = (int)Math.Min(record.CalculateSize() + RecordOverheadBytes, int.MaxValue);
            Interlocked.Add(ref _queuedBytes, bytes);
            if (!_queue.Writer.TryWrite(new QueuedRecord(layout.Schema, record, origin, bytes)))
            {
                Interlocked.Add(ref _queuedBytes, -bytes);
                CountRefused(1);
                continue;
            }

            Interlocked.Increment(ref _queuedRecords);
            _stats.OnEnqueued();
            PredictionLogStats.AddQueueDepth(1);
            enqueued++;
        }

        if (sampledOut > 0)
        {
            _stats.OnSampledOut(sampledOut);
        }

        return enqueued;
    }

    private void CountRefused(long records)
    {
        if (_completed)
        {
            _stats.OnStopped(records);
        }
        else
        {
            _stats.OnQueueFull();
        }
    }

    private static long LayoutRows(RecordLayout layout, in PredictionContext prediction) =>
        RecordLayout.RowsOf(layout.Batched, prediction.Inputs);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Prediction log: a prediction of {Model} version {Version} could not be turned into records; such rows are dropped and counted (reported once)")]
        public static partial void ConversionFailed(ILogger logger, string model, string version, Exception exception);
    }
}
