using Microsoft.Extensions.Logging.Abstractions;
using Serving.Protocol.Tensors;
using Serving.Worker.Batching;
using Serving.Worker.Features;
using Serving.Worker.Metrics;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Worker.Tests.TestSupport;

/// <summary>
/// A feature store for batcher tests: entity "e{n}" (key "k:e{n}") has the one feature n, filled into input "x"
/// ([-1, 1]) from the entity input "id".
/// </summary>
internal sealed class NumberFeatures : IFeatureStore
{
    public string Kind => "memory";

    public Task<double[]?[]> FetchAsync(string[] keys, string[] fields, CancellationToken cancellationToken) =>
        Task.FromResult(keys.Select(k => (double[]?)[double.Parse(k["k:e".Length..], System.Globalization.CultureInfo.InvariantCulture)]).ToArray());

    /// <summary>The lookup a batcher gets for a model with a <c>features:</c> section, over <paramref name="store"/>.</summary>
    public static FeatureLookup Lookup(string model, IFeatureStore store) => new(
        model,
        1,
        new FeaturesConfig { EntityInput = "id", TargetInput = "x", KeyPattern = "k:{id}", Fields = ["f"], NearCacheSize = 0, NearCacheTtlMs = 0 },
        new TensorSignature("x", DataType.FP32, [-1, 1]),
        0,
        store,
        new CircuitBreaker(5, TimeSpan.FromSeconds(1), TimeProvider.System),
        TimeSpan.FromSeconds(30),
        NullLogger.Instance);

    /// <summary>
    /// A batcher of <see cref="EchoRunner"/> with a lookup over <paramref name="store"/>: batches of up to 8, no delay,
    /// one instance.
    /// </summary>
    public static DynamicBatcher Batcher(string model, IFeatureStore store, BatchingMetrics.Series metrics) => new(
        new EchoRunner(), new BatchSettings(8, 0, [], 1024, 1, 0), metrics, NullLogger.Instance, Lookup(model, store));

    /// <summary>An entity-form request for entity <paramref name="n"/>.</summary>
    public static Task<BatchResult> Enqueue(DynamicBatcher batcher, int n, string[] outputs) =>
        batcher.EnqueueAsync(new InferTensor[1], outputs, long.MaxValue, CancellationToken.None, Item(n));

    /// <summary>The feature item of an entity-form request for entity <paramref name="n"/> (key <c>k:e{n}</c>).</summary>
    public static FeatureItem Item(int n) => new(new FeatureRequest([$"e{n}"], [$"k:e{n}"], new double[]?[1]));
}
