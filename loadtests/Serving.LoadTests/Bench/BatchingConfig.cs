using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Serving.LoadTests.Bench;

/// <summary>The dynamic-batching settings the bench writes into a model's <c>model.yaml</c>.</summary>
/// <param name="MaxBatchSize"><c>max_batch_size</c>, also the raw ONNX Runtime "max batch".</param>
/// <param name="MaxQueueDelayMicros"><c>dynamic_batching.max_queue_delay_us</c>; 0 first on CPU, as TF Serving advises.</param>
/// <param name="Instances"><c>dynamic_batching.instances</c>: batches that may run at once.</param>
/// <param name="IntraOpThreads"><c>runtime.intra_op_threads</c> (0 = ORT's default, one per physical core); raw ORT uses the same.</param>
internal sealed record BatchingConfig(int MaxBatchSize = 64, long MaxQueueDelayMicros = 0, int Instances = 1, int IntraOpThreads = 0)
{
    /// <summary>True when ONNX Runtime runs as it would untuned: one batch at a time on its default threads.</summary>
    public bool IsOrtDefault => Instances == 1 && IntraOpThreads == 0;

    /// <summary>
    /// The settings a model's own <c>model.yaml</c> gives (<c>max_batch_size</c>, <c>dynamic_batching.max_queue_delay_us</c>
    /// and <c>instances</c>, <c>runtime.intra_op_threads</c>), this record's defaults where it says nothing, then
    /// <paramref name="overrides"/> (the bench's command line) over both.
    /// </summary>
    public static BatchingConfig Resolve(string sourceYaml, BatchingOverrides overrides)
    {
        Dictionary<string, object?> config;
        try
        {
            config = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(sourceYaml) ?? [];
        }
        catch (YamlException e)
        {
            throw new LoadTestException($"cannot read the model's model.yaml: {e.Message}", e);
        }

        var defaults = new BatchingConfig();
        var batching = config.GetValueOrDefault("dynamic_batching") as Dictionary<object, object?>;
        var runtime = config.GetValueOrDefault("runtime") as Dictionary<object, object?>;
        // A model.yaml without batching (max_batch_size 0 or 1) gets the default: the bench always batches.
        var ownMax = Number(config.GetValueOrDefault("max_batch_size"), "max_batch_size") is { } own && own > 1 ? (int)own : (int?)null;
        return new BatchingConfig(
            overrides.MaxBatchSize ?? ownMax ?? defaults.MaxBatchSize,
            overrides.MaxQueueDelayMicros ?? Number(batching?.GetValueOrDefault("max_queue_delay_us"), "dynamic_batching.max_queue_delay_us") ?? defaults.MaxQueueDelayMicros,
            overrides.Instances ?? (int?)Number(batching?.GetValueOrDefault("instances"), "dynamic_batching.instances") ?? defaults.Instances,
            overrides.IntraOpThreads ?? (int?)Number(runtime?.GetValueOrDefault("intra_op_threads"), "runtime.intra_op_threads") ?? defaults.IntraOpThreads);
    }

    private static long? Number(object? value, string key) => value switch
    {
        null => null,
        string s when long.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new LoadTestException($"the model's model.yaml has {key}: '{value}', not a whole number"),
    };
}

/// <summary>Batching settings given on the bench's command line: each one set replaces the model's own for every model.</summary>
internal sealed record BatchingOverrides(int? MaxBatchSize = null, long? MaxQueueDelayMicros = null, int? Instances = null, int? IntraOpThreads = null);
