using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Serving.LoadTests.Bench;

/// <summary>The dynamic-batching settings the bench writes into a model's <c>model.yaml</c>.</summary>
/// <param name="MaxBatchSize"><c>max_batch_size</c>, also the raw ONNX Runtime "max batch".</param>
/// <param name="MaxQueueDelayMicros"><c>dynamic_batching.max_queue_delay_us</c>; 0 first on CPU, as TF Serving advises.</param>
/// <param name="Instances"><c>dynamic_batching.instances</c>: batches that may run at once.</param>
/// <param name="IntraOpThreads"><c>runtime.intra_op_threads</c> (0 = ORT's default, one per physical core); raw ORT uses the same.</param>
/// <param name="ArrivalGapMicros"><c>dynamic_batching.arrival_gap_us</c>: a partial batch also goes once arrivals stop for this long (0 = off; always 0 without a delay).</param>
internal sealed record BatchingConfig(int MaxBatchSize = 64, long MaxQueueDelayMicros = 0, int Instances = 1, int IntraOpThreads = 0, long ArrivalGapMicros = 0)
{
    /// <summary>The <c>dynamic_batching</c> settings as a report shows them: <c>max_queue_delay_us: 300, arrival_gap_us: 60, instances: 1</c> (the gap only when set).</summary>
    public string DynamicBatchingText() =>
        $"max_queue_delay_us: {MaxQueueDelayMicros}, {(ArrivalGapMicros > 0 ? $"arrival_gap_us: {ArrivalGapMicros}, " : string.Empty)}instances: {Instances}";

    /// <summary>The settings as a report line: <c>max_batch_size: 64, max_queue_delay_us: 300, arrival_gap_us: 60, instances: 1, intra_op_threads: 0</c>.</summary>
    public string Describe() => $"max_batch_size: {MaxBatchSize}, {DynamicBatchingText()}, intra_op_threads: {IntraOpThreads}";

    /// <summary>True when ONNX Runtime runs as it would untuned: one batch at a time on its default threads.</summary>
    public bool IsOrtDefault => Instances == 1 && IntraOpThreads == 0;

    /// <summary>
    /// The settings a model's own <c>model.yaml</c> gives (<c>max_batch_size</c>, <c>dynamic_batching.max_queue_delay_us</c>,
    /// <c>arrival_gap_us</c> and <c>instances</c>, <c>runtime.intra_op_threads</c>), this record's defaults where it says
    /// nothing, then <paramref name="overrides"/> (the bench's command line) over both. A gap needs a delay: with none
    /// (a delay of 0 given on the command line, say) the gap is dropped, as there is no wait for it to end.
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
        var delay = overrides.MaxQueueDelayMicros ?? Number(batching?.GetValueOrDefault("max_queue_delay_us"), "dynamic_batching.max_queue_delay_us") ?? defaults.MaxQueueDelayMicros;
        var gap = overrides.ArrivalGapMicros ?? Number(batching?.GetValueOrDefault("arrival_gap_us"), "dynamic_batching.arrival_gap_us") ?? defaults.ArrivalGapMicros;
        return new BatchingConfig(
            overrides.MaxBatchSize ?? ownMax ?? defaults.MaxBatchSize,
            delay,
            overrides.Instances ?? (int?)Number(batching?.GetValueOrDefault("instances"), "dynamic_batching.instances") ?? defaults.Instances,
            overrides.IntraOpThreads ?? (int?)Number(runtime?.GetValueOrDefault("intra_op_threads"), "runtime.intra_op_threads") ?? defaults.IntraOpThreads,
            delay > 0 ? gap : 0);
    }

    private static long? Number(object? value, string key) => value switch
    {
        null => null,
        string s when long.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
        _ => throw new LoadTestException($"the model's model.yaml has {key}: '{value}', not a whole number"),
    };
}

/// <summary>Batching settings given on the bench's command line: each one set replaces the model's own for every model.</summary>
internal sealed record BatchingOverrides(int? MaxBatchSize = null, long? MaxQueueDelayMicros = null, int? Instances = null, int? IntraOpThreads = null, long? ArrivalGapMicros = null);
