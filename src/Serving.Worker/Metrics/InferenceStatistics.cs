using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Serving.Worker.Metrics;

/// <summary>
/// One loaded model version's counters for Triton's statistics extension (<c>GET /v2/models/…/stats</c>, which
/// <c>perf_analyzer</c> reads): requests that succeeded or failed and their time in the worker, time queued, and per
/// execution the time to copy inputs in, run the model and slice outputs out, also by batch size. Plain interlocked
/// adds on the request path; a reload starts a new set, as Triton's do. The counters by batch size are made for the
/// sizes that run, so their memory does not grow with <c>max_batch_size</c> (any whole number a model.yaml may set).
/// </summary>
internal sealed class InferenceStatistics(int maxBatchSize)
{
    private readonly Duration _success = new();
    private readonly Duration _fail = new();
    private readonly Duration _queue = new();
    private readonly Duration _computeInput = new();
    private readonly Duration _computeInfer = new();
    private readonly Duration _computeOutput = new();
    private readonly int _largestBatch = Math.Max(maxBatchSize, 1);
    private readonly ConcurrentDictionary<int, BatchDurations> _batches = new();
    // Wall clock and Stopwatch read once together: the last inference is kept as a Stopwatch timestamp (no clock read
    // per request) and turned into milliseconds since the epoch when the statistics are read.
    private static readonly (long UnixMs, long Timestamp) Epoch = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Stopwatch.GetTimestamp());
    private long _inferenceCount;
    private long _executionCount;
    private long _lastInference;

    /// <summary>A request answered: <paramref name="rows"/> inferences, in the worker from <paramref name="started"/> to <paramref name="done"/> (Stopwatch timestamps).</summary>
    public void Succeeded(int rows, long started, long done)
    {
        _success.Add(done - started);
        Interlocked.Add(ref _inferenceCount, rows);
        Volatile.Write(ref _lastInference, done);
    }

    /// <summary>A request for this version that failed after it was resolved.</summary>
    public void Failed(long ticks) => _fail.Add(ticks);

    /// <summary>A request's time in the batcher's queue.</summary>
    public void Queued(long ticks) => _queue.Add(ticks);

    /// <summary>One model execution of <paramref name="batchSize"/> rows: copy in, run, slice out.</summary>
    public void Executed(int batchSize, long inputTicks, long inferTicks, long outputTicks)
    {
        Interlocked.Increment(ref _executionCount);
        _computeInput.Add(inputTicks);
        _computeInfer.Add(inferTicks);
        _computeOutput.Add(outputTicks);
        if (batchSize >= 0 && batchSize <= _largestBatch)
        {
            var b = _batches.GetOrAdd(batchSize, static _ => new BatchDurations());
            b.Input.Add(inputTicks);
            b.Infer.Add(inferTicks);
            b.Output.Add(outputTicks);
        }
    }

    /// <summary>Writes Triton's <c>$model_stat</c> object for this version.</summary>
    public void Write(Utf8JsonWriter w, string model, string version)
    {
        w.WriteStartObject();
        w.WriteString("name", model);
        w.WriteString("version", version);
        var last = Volatile.Read(ref _lastInference);
        w.WriteNumber("last_inference", last == 0 ? 0 : Epoch.UnixMs + (long)Stopwatch.GetElapsedTime(Epoch.Timestamp, last).TotalMilliseconds);
        w.WriteNumber("inference_count", Interlocked.Read(ref _inferenceCount));
        w.WriteNumber("execution_count", Interlocked.Read(ref _executionCount));
        w.WriteStartObject("inference_stats");
        _success.Write(w, "success");
        _fail.Write(w, "fail");
        _queue.Write(w, "queue");
        _computeInput.Write(w, "compute_input");
        _computeInfer.Write(w, "compute_infer");
        _computeOutput.Write(w, "compute_output");
        Duration.Zero(w, "cache_hit");
        Duration.Zero(w, "cache_miss");
        w.WriteEndObject();
        w.WriteStartArray("batch_stats");
        foreach (var (size, b) in _batches.OrderBy(p => p.Key))
        {
            if (b.Infer.Count == 0)
            {
                continue; // made by a run still adding to it
            }

            w.WriteStartObject();
            w.WriteNumber("batch_size", size);
            b.Input.Write(w, "compute_input");
            b.Infer.Write(w, "compute_infer");
            b.Output.Write(w, "compute_output");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("memory_usage");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private sealed class BatchDurations
    {
        public Duration Input { get; } = new();

        public Duration Infer { get; } = new();

        public Duration Output { get; } = new();
    }

    /// <summary>A count and a total time, Triton's <c>$duration_stat</c>.</summary>
    private sealed class Duration
    {
        private long _count;
        private long _ticks;

        public long Count => Interlocked.Read(ref _count);

        public void Add(long ticks)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _ticks, ticks);
        }

        public void Write(Utf8JsonWriter w, string name)
        {
            w.WriteStartObject(name);
            w.WriteNumber("count", Interlocked.Read(ref _count));
            w.WriteNumber("ns", (long)(Interlocked.Read(ref _ticks) * (1e9 / Stopwatch.Frequency)));
            w.WriteEndObject();
        }

        public static void Zero(Utf8JsonWriter w, string name)
        {
            w.WriteStartObject(name);
            w.WriteNumber("count", 0);
            w.WriteNumber("ns", 0);
            w.WriteEndObject();
        }
    }
}
