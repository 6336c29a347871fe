using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Protocol.Tensors;
using Serving.Worker.Configuration;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Worker.Features;

/// <summary>
/// Hands each model version its feature lookup: Redis (one shared connection and breaker, which counts only failures of
/// Redis itself: <see cref="StoreFailures"/>) when
/// <c>Serving:Features:Redis</c> is set (the model's layout picks hashes or packed strings), else an in-memory store loaded from the model's CSV.
/// </summary>
internal sealed partial class FeatureStores(IOptions<FeatureStoreOptions> options, IServiceProvider services, ILoggerFactory loggers)
{
    private readonly Lazy<(RedisConnection Connection, RedisFeatureStore Hashes, CircuitBreaker Breaker)> _redis = new(() =>
    {
        var connection = (RedisConnection)services.GetService(typeof(RedisConnection))!;
        return (connection, new RedisFeatureStore(connection, options.Value.MaxKeysPerCall),
            new CircuitBreaker(options.Value.BreakerFailures, options.Value.BreakerOpenFor, TimeProvider.System));
    });

    /// <summary>True when features come from Redis.</summary>
    public bool UsesRedis => !string.IsNullOrWhiteSpace(options.Value.Redis);

    public FeatureLookup CreateLookup(string model, long version, string modelDirectory, FeaturesConfig config, ModelSignature signature)
    {
        var where = $"model '{model}' version {version}: features";
        var targetIndex = signature.IndexOfInput(config.TargetInput!);
        if (targetIndex < 0)
        {
            throw new ModelConfigException($"{where}: target_input '{config.TargetInput}' is not an input of the model ({string.Join(", ", signature.InputNames)})");
        }

        if (signature.IndexOfInput(config.EntityInput!) >= 0)
        {
            throw new ModelConfigException($"{where}: entity_input '{config.EntityInput}' must not be one of the model's own inputs");
        }

        var target = signature.Inputs[targetIndex];
        if (target.DataType is not (DataType.FP32 or DataType.FP64) || target.Shape.Length != 2
            || (target.Shape[1] != -1 && target.Shape[1] != config.Fields!.Count))
        {
            throw new ModelConfigException(
                $"{where}: target_input '{target.Name}' must be FP32 or FP64 with shape [-1, {config.Fields!.Count}] (one column per field), not {target.DataType.ToWire()} {Shapes.Format(target.Shape)}");
        }

        IFeatureStore store;
        CircuitBreaker breaker;
        if (UsesRedis)
        {
            (var connection, var hashes, breaker) = _redis.Value;
            store = config.Layout == FeatureLayouts.Packed ? new PackedRedisFeatureStore(connection, options.Value.MaxKeysPerCall, config.Fields!) : hashes;
            store.WarmUp();
        }
        else
        {
            var refused = new List<FeatureCsv.BadRow>();
            try
            {
                store = InMemoryFeatureStore.Load(config.Csv is null ? null : Path.Combine(modelDirectory, config.Csv), config.KeyPattern!, config.Fields!, refused.Add);
            }
            catch (ModelConfigException e)
            {
                throw new ModelConfigException($"model '{model}' version {version}: {e.Message}");
            }

            if (refused.Count > 0)
            {
                // Their entities read as missing (defaults, flagged): say which lines, so the file can be fixed.
                Log.RowsRefused(
                    loggers.CreateLogger<FeatureStores>(), model, version, Path.GetFileName(config.Csv!), refused.Count, string.Join("; ", refused.Take(5).Select(r => $"line {r.Line}: {r.Reason}")));
            }

            breaker = new CircuitBreaker(options.Value.BreakerFailures, options.Value.BreakerOpenFor, TimeProvider.System);
        }

        return new FeatureLookup(model, version, config, target, targetIndex, store, breaker, options.Value.Timeout, loggers.CreateLogger<FeatureLookup>());
    }

    private static partial class Log
    {
        // The file model.yaml's features.csv names, by its own name (it may name any file next to it).
        [LoggerMessage(1, LogLevel.Warning, "Model {Model} version {Version}: {File} has {Count} row(s) refused, left out (their entities read as missing): {First}")]
        public static partial void RowsRefused(ILogger logger, string model, long version, string file, int count, string first);
    }
}
