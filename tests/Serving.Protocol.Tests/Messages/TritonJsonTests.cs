using System.Text.Json;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;

namespace Serving.Protocol.Tests.Messages;

/// <summary>Triton's REST config and statistics JSON read into the gRPC messages.</summary>
public sealed class TritonJsonTests
{
    [Fact]
    public void ParseConfig_EveryFieldTheServerWrites()
    {
        using var json = JsonDocument.Parse("""
            {"name":"m","platform":"onnxruntime_onnx","backend":"onnxruntime","version_policy":{"specific":{"versions":[1,3]}},"max_batch_size":8,
             "input":[{"name":"x","data_type":"TYPE_STRING","dims":[-1,4]}],
             "output":[{"name":"y","data_type":"TYPE_BF16","dims":[2],"label_filename":"labels.txt"}],
             "dynamic_batching":{"preferred_batch_size":[4,8],"max_queue_delay_microseconds":500,"default_queue_policy":{"max_queue_size":16,"default_timeout_microseconds":2000}},
             "instance_group":[{"name":"m","kind":"KIND_GPU","count":2},{"name":"m","kind":"KIND_ODD","count":1}],"default_model_filename":"model.onnx"}
            """);

        var config = TritonJson.ParseConfig(json.RootElement);

        Assert.Equal(("m", "onnxruntime_onnx", "onnxruntime", 8, "model.onnx"), (config.Name, config.Platform, config.Backend, config.MaxBatchSize, config.DefaultModelFilename));
        Assert.Equal([1L, 3L], config.VersionPolicy.Specific.Versions);
        Assert.Equal(ConfigDataType.TypeString, config.Input[0].DataType);
        Assert.Equal([-1L, 4L], config.Input[0].Dims);
        Assert.Equal((ConfigDataType.TypeBf16, "labels.txt"), (config.Output[0].DataType, config.Output[0].LabelFilename));
        Assert.Equal([4, 8], config.DynamicBatching.PreferredBatchSize);
        Assert.Equal((500UL, 16U, 2000UL), (config.DynamicBatching.MaxQueueDelayMicroseconds, config.DynamicBatching.DefaultQueuePolicy.MaxQueueSize, config.DynamicBatching.DefaultQueuePolicy.DefaultTimeoutMicroseconds));
        Assert.Equal([ModelInstanceGroup.Types.Kind.Gpu, ModelInstanceGroup.Types.Kind.Auto], config.InstanceGroup.Select(g => g.Kind));
    }

    [Theory]
    [InlineData("""{"all":{}}""", "all")]
    [InlineData("""{"latest":{"num_versions":2}}""", "latest")]
    [InlineData("""{}""", "none")]
    public void ParseConfig_VersionPolicies(string policy, string expected)
    {
        using var json = JsonDocument.Parse($$"""{"version_policy":{{policy}}}""");

        var parsed = TritonJson.ParseConfig(json.RootElement).VersionPolicy;

        Assert.Equal(expected, parsed.PolicyChoiceCase switch
        {
            ModelVersionPolicy.PolicyChoiceOneofCase.All => "all",
            ModelVersionPolicy.PolicyChoiceOneofCase.Latest when parsed.Latest.NumVersions == 2 => "latest",
            ModelVersionPolicy.PolicyChoiceOneofCase.None => "none",
            _ => "wrong",
        });
    }

    [Fact]
    public void ParseStatistics_CountsDurationsAndBatches_OddEntriesTolerated()
    {
        using var json = JsonDocument.Parse("""
            {"model_stats":[{"name":"m","version":"2","last_inference":123,"inference_count":7,"execution_count":3,
              "inference_stats":{"success":{"count":3,"ns":900},"queue":{"count":3,"ns":30}},
              "batch_stats":[{"batch_size":4,"compute_infer":{"count":1,"ns":400}}]}, 5]}
            """);

        var stat = Assert.Single(TritonJson.ParseStatistics(json.RootElement).ModelStats);

        Assert.Equal(("m", "2", 123UL, 7UL, 3UL), (stat.Name, stat.Version, stat.LastInference, stat.InferenceCount, stat.ExecutionCount));
        Assert.Equal((3UL, 900UL), (stat.InferenceStats.Success.Count, stat.InferenceStats.Success.Ns));
        Assert.Equal(0UL, stat.InferenceStats.Fail.Count);
        Assert.Equal((4UL, 400UL), (stat.BatchStats[0].BatchSize, stat.BatchStats[0].ComputeInfer.Ns));
    }
}
