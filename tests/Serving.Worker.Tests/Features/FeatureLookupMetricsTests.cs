using Microsoft.Extensions.Logging.Abstractions;
using Serving.Protocol.Tensors;
using Serving.Worker.Features;
using Serving.Worker.Metrics;
using Serving.Worker.Models;
using Serving.Worker.Runtime;

namespace Serving.Worker.Tests.Features;

/// <summary>The lookup's series against what it answered (each test has a model name of its own: the registry is process-wide).</summary>
public sealed class FeatureLookupMetricsTests
{
    /// <summary>
    /// serving_feature_defaulted_rows_total counts the rows listed in features_defaulted_rows: before, a stored entity
    /// lacking a field (or holding no number for it) was listed and filled with the default, but not counted.
    /// </summary>
    [Fact]
    public async Task DefaultedRows_CountEveryRowListed_AlsoAStoredEntityLackingAField()
    {
        const string Model = "lookup-metrics-defaulted";
        var store = new FixedStore(new Dictionary<string, double[]?>
        {
            ["k:whole"] = [1, 2],
            ["k:lacks-b"] = [1, double.NaN],
        });
        var lookup = Lookup(Model, store);
        var series = new FeatureMetrics.Series(Model, "1", "memory");
        var item = Item("whole", "lacks-b", "absent");

        await lookup.FillAsync([item]);
        using var filled = item.Filled;

        Assert.Null(item.Error);
        Assert.Equal([1, 2], item.Request.DefaultedRows);
        Assert.Equal(2, series.DefaultedMissing.Value);
        Assert.Equal(1, series.Missing.Value); // one entity the store lacks
        Assert.Equal(0, series.DefaultedUnavailable.Value);
    }

    [Fact]
    public async Task DefaultedRows_StoreUnavailable_CountedAsUnavailable()
    {
        const string Model = "lookup-metrics-unavailable";
        var lookup = Lookup(Model, new FixedStore(null));
        var series = new FeatureMetrics.Series(Model, "1", "memory");
        var item = Item("a", "b");

        await lookup.FillAsync([item]);
        using var filled = item.Filled;

        Assert.True(item.Request.StoreUnavailable);
        Assert.Equal([0, 1], item.Request.DefaultedRows);
        Assert.Equal(2, series.DefaultedUnavailable.Value);
        Assert.Equal(0, series.DefaultedMissing.Value);
    }

    private static FeatureItem Item(params string[] ids) =>
        new(new FeatureRequest(ids, [.. ids.Select(id => "k:" + id)], new double[]?[2]));

    private static FeatureLookup Lookup(string model, IFeatureStore store) => new(
        model,
        1,
        new FeaturesConfig { EntityInput = "id", TargetInput = "x", KeyPattern = "k:{id}", Fields = ["a", "b"], NearCacheSize = 1, NearCacheTtlMs = 0 },
        new TensorSignature("x", DataType.FP32, [-1, 2]),
        0,
        store,
        new CircuitBreaker(5, TimeSpan.FromSeconds(1), TimeProvider.System),
        TimeSpan.FromSeconds(30),
        NullLogger.Instance);

    /// <summary>Answers from a fixed table (a key it lacks is missing), or fails every call when given none.</summary>
    private sealed class FixedStore(Dictionary<string, double[]?>? entities) : IFeatureStore
    {
        public string Kind => "memory";

        public Task<double[]?[]> FetchAsync(string[] keys, string[] fields, CancellationToken cancellationToken) =>
            entities is null
                ? throw new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.SocketFailure, StackExchange.Redis.CommandFlags.None, "the store is down", null, StackExchange.Redis.CommandStatus.Sent)
                : Task.FromResult(keys.Select(k => entities.GetValueOrDefault(k)).ToArray());
    }
}
