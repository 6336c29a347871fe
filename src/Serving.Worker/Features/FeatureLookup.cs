using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Serving.Protocol.Errors;
using Serving.Protocol.Messages;
using Serving.Protocol.Tensors;
using Serving.Worker.Metrics;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Worker.Features;

/// <summary>
/// A model version's feature lookup: turns entity-form requests into the model's input. All
/// entities of a batch that the near cache lacks are fetched in one store call; a dead store
/// costs at most one timeout before the breaker answers for it, then fail_open / fail_closed.
/// </summary>
internal sealed partial class FeatureLookup
{
    private readonly FeaturesConfig _config;
    private readonly string[] _fields;
    private readonly double[] _defaults;
    private readonly Dictionary<string, int> _fieldIndex;
    private readonly IFeatureStore _store;
    private readonly CircuitBreaker _breaker;
    private readonly NearCache _cache;
    private readonly TimeSpan _timeout;
    private readonly FeatureMetrics.Series _metrics;
    private readonly ILogger _logger;

    public FeatureLookup(
        string model, long version, FeaturesConfig config, TensorSignature target, int targetIndex, IFeatureStore store, CircuitBreaker breaker, TimeSpan timeout, ILogger logger)
    {
        Model = model;
        _config = config;
        _fields = [.. config.Fields!];
        _defaults = _fields.Select(f => config.Defaults?.GetValueOrDefault(f, config.Default) ?? config.Default).ToArray();
        _fieldIndex = _fields.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);
        Target = target;
        TargetIndex = targetIndex;
        _store = store;
        _breaker = breaker;
        _timeout = timeout;
        _cache = new NearCache(config.NearCacheSize, TimeSpan.FromMilliseconds(config.NearCacheTtlMs), TimeProvider.System);
        _metrics = new FeatureMetrics.Series(model, version.ToString(System.Globalization.CultureInfo.InvariantCulture), store.Kind);
        _logger = logger;
    }

    public string Model { get; }

    public string EntityInput => _config.EntityInput!;

    public TensorSignature Target { get; }

    public int TargetIndex { get; }

    /// <summary>The store in use (<c>redis</c> or <c>memory</c>).</summary>
    public string StoreKind => _store.Kind;

    /// <summary>True when the request sends entity ids instead of the target input.</summary>
    public bool IsEntityForm(InferenceRequest request) =>
        InferTensor.Find(request.Inputs, _config.EntityInput!) is not null && InferTensor.Find(request.Inputs, _config.TargetInput!) is null;

    /// <summary>True for inputs that belong to the entity form (the ids and request-time columns).</summary>
    public bool IsFeatureInput(string name) => name == _config.EntityInput || _fieldIndex.ContainsKey(name);

    /// <summary>An entity-form request's rows: its ids' first dimension, once their shape is checked ([N] or [N, 1], N within max_batch_size).</summary>
    public int EntityRows(InferenceRequest request, int maxBatchSize) => Rows(InferTensor.Find(request.Inputs, _config.EntityInput!)!, maxBatchSize);

    /// <summary>Reads the ids and request-time columns of an entity-form request.</summary>
    public FeatureRequest Prepare(InferenceRequest request, int maxBatchSize)
    {
        var entity = InferTensor.Find(request.Inputs, _config.EntityInput!)!;
        var rows = Rows(entity, maxBatchSize);
        var ids = new string[rows];
        for (var r = 0; r < rows; r++)
        {
            ids[r] = entity.DataType switch
            {
                DataType.Int64 => entity.As<long>()[r].ToString(CultureInfo.InvariantCulture),
                DataType.Int32 => entity.As<int>()[r].ToString(CultureInfo.InvariantCulture),
                DataType.Bytes => Id(entity.Elements![r].Span),
                _ => throw InferenceException.Invalid($"input '{entity.Name}' holds entity ids: INT64, INT32 or BYTES, not {entity.DataType.ToWire()}"),
            };
        }

        var columns = new double[]?[_fields.Length];
        foreach (var input in request.Inputs)
        {
            if (_fieldIndex.TryGetValue(input.Name, out var field))
            {
                if (Rows(input, maxBatchSize) != rows)
                {
                    throw InferenceException.Invalid($"request-time column '{input.Name}' has {input.Shape[0]} rows but '{entity.Name}' has {rows}");
                }

                columns[field] = Numbers(input);
            }
        }

        var keys = new string[rows];
        for (var r = 0; r < rows; r++)
        {
            keys[r] = FeatureKeys.Format(_config.KeyPattern!, ids[r]);
        }

        return new FeatureRequest(ids, keys, columns);
    }

    /// <summary>
    /// Builds the target input of every entity-form item in <paramref name="items"/>: sets it, or
    /// sets the item's error (404 with on_missing: error for a missing entity, or a stored one lacking a usable value
    /// for a field; 503 for fail_closed). The store is waited on for at most <c>Timeout</c>, and never past
    /// <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp: the latest of the items' deadlines).
    /// </summary>
    /// <returns>False when <paramref name="deadline"/> passed before the store answered: no item was built, and every one is past its deadline.</returns>
    public async Task<bool> FillAsync(IReadOnlyList<FeatureItem> items, long deadline = long.MaxValue)
    {
        var keys = new Dictionary<string, double[]?>(StringComparer.Ordinal);
        var misses = new List<string>();
        foreach (var item in items)
        {
            var request = item.Request;
            foreach (var key in request.Keys)
            {
                if (keys.ContainsKey(key))
                {
                    continue;
                }

                if (_cache.TryGet(key, out var cached))
                {
                    _metrics.CacheHits.Inc();
                    keys[key] = cached;
                }
                else
                {
                    _metrics.CacheMisses.Inc();
                    keys[key] = null;
                    misses.Add(key);
                }
            }
        }

        var fetched = misses.Count == 0 ? Fetched.Yes : await FetchAsync(misses, keys, deadline).ConfigureAwait(false);
        if (fetched == Fetched.PastDeadline)
        {
            return false;
        }

        var unavailableKeys = fetched == Fetched.No ? new HashSet<string>(misses, StringComparer.Ordinal) : null;
        foreach (var item in items)
        {
            Build(item, keys, unavailableKeys);
        }

        return true;
    }

    private enum Fetched
    {
        Yes,
        No,
        PastDeadline,
    }

    private async Task<Fetched> FetchAsync(List<string> misses, Dictionary<string, double[]?> keys, long deadline)
    {
        // The callers will not take an answer past their deadline: waiting on the store longer is for nobody.
        var wait = _timeout;
        var deadlineFirst = false;
        if (deadline != long.MaxValue)
        {
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return Fetched.PastDeadline;
            }

            if (left < wait)
            {
                (wait, deadlineFirst) = (left, true);
            }
        }

        if (!_breaker.TryPass())
        {
            _metrics.BreakerOpen.Inc();
            FeatureMetrics.BreakerState.WithLabels(_store.Kind).Set((int)_breaker.Current);
            return Fetched.No;
        }

        var started = Stopwatch.GetTimestamp();
        string[] wanted = [.. misses];
        Task<double[]?[]>? fetch = null;
        try
        {
            _metrics.Calls.Inc();
            fetch = _store.FetchAsync(wanted, _fields, CancellationToken.None);
            var fetched = await fetch.WaitAsync(wait).ConfigureAwait(false);
            Answered(wanted, fetched, started);
            for (var i = 0; i < misses.Count; i++)
            {
                keys[misses[i]] = fetched[i];
            }

            return Fetched.Yes;
        }
        catch (TimeoutException e) when (deadlineFirst && fetch is not null && e.GetType() == typeof(TimeoutException))
        {
            // WaitAsync's own timeout, set by the callers' deadline, sooner than Timeout: the callers are answered now,
            // but whether the store is down or slow is for the store's own answer to say. Counted against the breaker,
            // which every model on this Redis shares, callers sending tight deadlines (Triton's timeout is in µs) could
            // open it for all of them while Redis answers within Timeout. The call goes on, up to Timeout, and tells
            // the breaker how it ended (ObserveLateAsync); what it brings fills the near cache.
            _metrics.Timeouts.Inc();
            Log.StoreFailed(_logger, Model, _store.Kind, "no answer before the requests' deadline");
            _ = ObserveLateAsync(fetch, wanted, started);
            return Fetched.PastDeadline;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            (e is TimeoutException ? _metrics.Timeouts : _metrics.Failures).Inc();
            Failed(e, "timeout");
            return Fetched.No;
        }
        finally
        {
            FeatureMetrics.BreakerState.WithLabels(_store.Kind).Set((int)_breaker.Current);
        }
    }

    // The end of a store call the callers' deadline cut short, within Timeout from its start: what the breaker counts,
    // as FetchAsync would have counted it had the callers waited.
    private async Task ObserveLateAsync(Task<double[]?[]> fetch, string[] wanted, long started)
    {
        try
        {
            var left = _timeout - Stopwatch.GetElapsedTime(started);
            Answered(wanted, await fetch.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false), started);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Failed(e, "timeout (a call its requests' deadline had cut short)");
        }
        finally
        {
            FeatureMetrics.BreakerState.WithLabels(_store.Kind).Set((int)_breaker.Current);
        }
    }

    // A store call answered: the breaker hears of it, its time is observed, and what it brought goes into the near cache.
    private void Answered(string[] wanted, double[]?[] fetched, long started)
    {
        _breaker.Success();
        _metrics.Lookup.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        for (var i = 0; i < wanted.Length; i++)
        {
            _cache.Set(wanted[i], fetched[i]);
        }
    }

    // A store call failed, told to the breaker every model on the store shares: a timeout opens it at once, an outage
    // counts toward it (StoreFailures). An error of this model's keys (NOPERM for a key pattern the Redis user may not
    // read, a reply that doesn't parse) is no sign of an outage, or it would open the breaker for every model on this
    // Redis: it counts as an answer (a half-open breaker's probe must end, or it would refuse every model's calls), and
    // this model's lookup gets its outage policy, as for an unavailable store.
    private void Failed(Exception e, string timeoutReason)
    {
        if (e is TimeoutException)
        {
            _breaker.TimedOut();
            Log.StoreFailed(_logger, Model, _store.Kind, timeoutReason);
        }
        else if (StoreFailures.IsUnavailable(e))
        {
            _breaker.Failure();
            Log.StoreFailed(_logger, Model, _store.Kind, e.GetType().Name + ": " + e.Message);
        }
        else
        {
            _breaker.Success();
            Log.ModelLookupFailed(_logger, Model, _store.Kind, e.GetType().Name + ": " + e.Message);
        }
    }

    private void Build(FeatureItem item, Dictionary<string, double[]?> keys, HashSet<string>? unavailableKeys)
    {
        var request = item.Request;
        var rows = request.Ids.Length;
        var width = _fields.Length;
        var size = Target.DataType.ElementSize();
        var single = Target.DataType != DataType.FP64;
        var rented = ArrayPool<byte>.Shared.Rent(rows * width * size);
        var values = new double[width];
        for (var r = 0; r < rows; r++)
        {
            var key = request.Keys[r];
            var entity = keys[key];
            var defaulted = false;
            var unavailableRow = false;
            if (entity is null && !AllFromRequest(request))
            {
                if (unavailableKeys?.Contains(key) == true)
                {
                    if (_config.OnUnavailable == "fail_closed")
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                        item.Error = InferenceException.Unavailable("the feature store is unavailable (on_unavailable: fail_closed)");
                        return;
                    }

                    request.StoreUnavailable = true;
                    unavailableRow = true;
                }
                else
                {
                    _metrics.Missing.Inc();
                    if (_config.OnMissing == "error")
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                        item.Error = InferenceException.NotFound($"entity '{request.Ids[r]}' is not in the feature store");
                        return;
                    }
                }

                defaulted = true;
            }

            for (var k = 0; k < width; k++)
            {
                // Not a number the model can take: NaN (missing, not numeric), ±Infinity, or past float's range for an
                // FP32 input (1e39 would reach the model as Infinity): the default, and the row is flagged.
                var stored = request.RequestColumns[k] is null;
                var v = stored ? entity?[k] ?? double.NaN : request.RequestColumns[k]![r];
                if (!double.IsFinite(v) || (single && !float.IsFinite((float)v)))
                {
                    if (stored && entity is not null && _config.OnMissing == "error")
                    {
                        // A stored entity without a usable field is as missing as one not stored at all.
                        ArrayPool<byte>.Shared.Return(rented);
                        item.Error = InferenceException.NotFound(
                            $"entity '{request.Ids[r]}' has no number the model can take for field '{_fields[k]}' in the feature store (missing, not numeric, ±Infinity or past {Target.DataType.ToWire()}'s range)");
                        return;
                    }

                    v = _defaults[k];
                    defaulted = true;
                }

                values[k] = v;
            }

            if (defaulted)
            {
                // Every row listed in features_defaulted_rows is counted once: also one whose stored entity lacks a
                // field or holds no number for it (before, only a row whose whole entity was missing counted).
                (request.DefaultedRows ??= []).Add(r);
                (unavailableRow ? _metrics.DefaultedUnavailable : _metrics.DefaultedMissing).Inc();
            }

            var row = rented.AsSpan(r * width * size, width * size);
            if (Target.DataType == DataType.FP64)
            {
                values.CopyTo(MemoryMarshal.Cast<byte, double>(row));
            }
            else
            {
                var floats = MemoryMarshal.Cast<byte, float>(row);
                for (var k = 0; k < width; k++)
                {
                    floats[k] = (float)values[k];
                }
            }
        }

        item.Filled = InferTensor.Fixed(Target.Name, Target.DataType, [rows, width], rented.AsMemory(0, rows * width * size), rented);
    }

    private static bool AllFromRequest(FeatureRequest request) => Array.TrueForAll(request.RequestColumns, c => c is not null);

    private static int Rows(InferTensor input, int maxBatchSize)
    {
        if (input.Shape.Length is < 1 or > 2 || (input.Shape.Length == 2 && input.Shape[1] != 1) || input.Shape[0] < 1)
        {
            throw InferenceException.Invalid($"input '{input.Name}' must have shape [N] or [N, 1] with N >= 1, not {Shapes.Format(input.Shape)}");
        }

        return maxBatchSize > 0 && input.Shape[0] > maxBatchSize
            ? throw InferenceException.Invalid($"input '{input.Name}': batch size {input.Shape[0]} is over max_batch_size {maxBatchSize}")
            : (int)input.Shape[0];
    }

    private static double[] Numbers(InferTensor input) => input.DataType switch
    {
        DataType.FP32 => input.As<float>().ToArray().Select(v => (double)v).ToArray(),
        DataType.FP64 => input.As<double>().ToArray(),
        DataType.Int32 => input.As<int>().ToArray().Select(v => (double)v).ToArray(),
        DataType.Int64 => input.As<long>().ToArray().Select(v => (double)v).ToArray(),
        _ => throw InferenceException.Invalid($"request-time column '{input.Name}' must be FP32, FP64, INT32 or INT64"),
    };

    private static string Id(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length is 0 or > FeatureKeys.MaxIdBytes)
        {
            throw InferenceException.Invalid($"entity ids must be 1 to {FeatureKeys.MaxIdBytes} bytes");
        }

        // Decoding replaces each invalid byte with U+FFFD: ids 0xFF and 0xFE would both read the entity stored under
        // "\uFFFD", one caller's entity served for another's. An id is a key's text, so it must be text.
        return System.Text.Unicode.Utf8.IsValid(utf8)
            ? Encoding.UTF8.GetString(utf8)
            : throw InferenceException.Invalid("entity ids must be valid UTF-8 text");
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Model {Model}: feature store ({Store}) call failed: {Reason}")]
        public static partial void StoreFailed(ILogger logger, string model, string store, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Model {Model}: feature store ({Store}) refused this model's lookup, an error of its own keys (not counted by the store's circuit breaker; on_unavailable answers): {Reason}")]
        public static partial void ModelLookupFailed(ILogger logger, string model, string store, string reason);
    }
}
