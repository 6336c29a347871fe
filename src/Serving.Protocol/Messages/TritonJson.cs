using System.Text.Json;
using Serving.Protocol.Inference;

namespace Serving.Protocol.Messages;

/// <summary>
/// Reads the REST form of Triton's model configuration and statistics extensions into their gRPC messages, so both
/// protocols answer from one source: a worker writes the JSON once, and its gRPC handler (or a gateway that asked a
/// worker over REST) converts it.
/// </summary>
public static class TritonJson
{
    /// <summary>A <c>ModelConfig</c> from the JSON <c>GET /v2/models/{m}/config</c> answers (unknown fields ignored).</summary>
    public static ModelConfig ParseConfig(JsonElement json)
    {
        var config = new ModelConfig
        {
            Name = Text(json, "name"),
            Platform = Text(json, "platform"),
            Backend = Text(json, "backend"),
            MaxBatchSize = (int)Number(json, "max_batch_size"),
            DefaultModelFilename = Text(json, "default_model_filename"),
        };
        if (json.TryGetProperty("version_policy", out var policy) && policy.ValueKind == JsonValueKind.Object)
        {
            config.VersionPolicy = new ModelVersionPolicy();
            if (policy.TryGetProperty("all", out _))
            {
                config.VersionPolicy.All = new ModelVersionPolicy.Types.All();
            }
            else if (policy.TryGetProperty("specific", out var specific))
            {
                config.VersionPolicy.Specific = new ModelVersionPolicy.Types.Specific();
                config.VersionPolicy.Specific.Versions.AddRange(Numbers(specific, "versions"));
            }
            else if (policy.TryGetProperty("latest", out var latest))
            {
                config.VersionPolicy.Latest = new ModelVersionPolicy.Types.Latest { NumVersions = (uint)Number(latest, "num_versions") };
            }
        }

        foreach (var input in Items(json, "input"))
        {
            var i = new ModelInput { Name = Text(input, "name"), DataType = Type(Text(input, "data_type")) };
            i.Dims.AddRange(Numbers(input, "dims"));
            config.Input.Add(i);
        }

        foreach (var output in Items(json, "output"))
        {
            var o = new ModelOutput { Name = Text(output, "name"), DataType = Type(Text(output, "data_type")), LabelFilename = Text(output, "label_filename") };
            o.Dims.AddRange(Numbers(output, "dims"));
            config.Output.Add(o);
        }

        foreach (var group in Items(json, "instance_group"))
        {
            config.InstanceGroup.Add(new ModelInstanceGroup
            {
                Name = Text(group, "name"),
                Count = (int)Number(group, "count"),
                Kind = Enum.TryParse<ModelInstanceGroup.Types.Kind>(Text(group, "kind").Replace("KIND_", "", StringComparison.Ordinal), true, out var kind) ? kind : ModelInstanceGroup.Types.Kind.Auto,
            });
        }

        if (json.TryGetProperty("dynamic_batching", out var batching) && batching.ValueKind == JsonValueKind.Object)
        {
            config.DynamicBatching = new ModelDynamicBatching { MaxQueueDelayMicroseconds = (ulong)Number(batching, "max_queue_delay_microseconds") };
            config.DynamicBatching.PreferredBatchSize.AddRange(Numbers(batching, "preferred_batch_size").Select(n => (int)n));
            if (batching.TryGetProperty("default_queue_policy", out var queue) && queue.ValueKind == JsonValueKind.Object)
            {
                config.DynamicBatching.DefaultQueuePolicy = new ModelQueuePolicy
                {
                    MaxQueueSize = (uint)Number(queue, "max_queue_size"),
                    DefaultTimeoutMicroseconds = (ulong)Number(queue, "default_timeout_microseconds"),
                };
            }
        }

        return config;
    }

    /// <summary>A <c>ModelStatisticsResponse</c> from the JSON <c>GET /v2/models/…/stats</c> answers.</summary>
    public static ModelStatisticsResponse ParseStatistics(JsonElement json)
    {
        var response = new ModelStatisticsResponse();
        foreach (var item in Items(json, "model_stats"))
        {
            var stat = new ModelStatistics
            {
                Name = Text(item, "name"),
                Version = Text(item, "version"),
                LastInference = (ulong)Number(item, "last_inference"),
                InferenceCount = (ulong)Number(item, "inference_count"),
                ExecutionCount = (ulong)Number(item, "execution_count"),
            };
            if (item.TryGetProperty("inference_stats", out var inference) && inference.ValueKind == JsonValueKind.Object)
            {
                stat.InferenceStats = new InferStatistics
                {
                    Success = Duration(inference, "success"),
                    Fail = Duration(inference, "fail"),
                    Queue = Duration(inference, "queue"),
                    ComputeInput = Duration(inference, "compute_input"),
                    ComputeInfer = Duration(inference, "compute_infer"),
                    ComputeOutput = Duration(inference, "compute_output"),
                };
            }

            foreach (var batch in Items(item, "batch_stats"))
            {
                stat.BatchStats.Add(new InferBatchStatistics
                {
                    BatchSize = (ulong)Number(batch, "batch_size"),
                    ComputeInput = Duration(batch, "compute_input"),
                    ComputeInfer = Duration(batch, "compute_infer"),
                    ComputeOutput = Duration(batch, "compute_output"),
                });
            }

            response.ModelStats.Add(stat);
        }

        return response;
    }

    /// <summary>Triton's <c>TYPE_*</c> name → the enum (<c>TYPE_INVALID</c> for anything else).</summary>
    public static ConfigDataType Type(string name) => name switch
    {
        "TYPE_BOOL" => ConfigDataType.TypeBool,
        "TYPE_UINT8" => ConfigDataType.TypeUint8,
        "TYPE_UINT16" => ConfigDataType.TypeUint16,
        "TYPE_UINT32" => ConfigDataType.TypeUint32,
        "TYPE_UINT64" => ConfigDataType.TypeUint64,
        "TYPE_INT8" => ConfigDataType.TypeInt8,
        "TYPE_INT16" => ConfigDataType.TypeInt16,
        "TYPE_INT32" => ConfigDataType.TypeInt32,
        "TYPE_INT64" => ConfigDataType.TypeInt64,
        "TYPE_FP16" => ConfigDataType.TypeFp16,
        "TYPE_FP32" => ConfigDataType.TypeFp32,
        "TYPE_FP64" => ConfigDataType.TypeFp64,
        "TYPE_STRING" => ConfigDataType.TypeString,
        "TYPE_BF16" => ConfigDataType.TypeBf16,
        _ => ConfigDataType.TypeInvalid,
    };

    private static StatisticDuration Duration(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var d) && d.ValueKind == JsonValueKind.Object
            ? new StatisticDuration { Count = (ulong)Number(d, "count"), Ns = (ulong)Number(d, "ns") }
            : new StatisticDuration();

    private static IEnumerable<JsonElement> Items(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object)
            : [];

    private static string Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() ?? "" : "";

    private static long Number(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var v) ? Math.Max(v, 0) : 0;

    private static IEnumerable<long> Numbers(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out _)).Select(e => e.GetInt64())
            : [];
}
