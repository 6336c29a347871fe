using Serving.LoadTests.Bench;
using YamlDotNet.Serialization;

namespace Serving.LoadTests.Tests.Bench;

public sealed class BenchRepositoryTests
{
    private const string Source = """
        name: tabular
        platform: onnxruntime_onnx
        version_policy: { all: {} }
        max_batch_size: 8
        inputs:
          - { name: input, datatype: FP32, shape: [-1, 30] }
        runtime: { graph_optimization_level: all }
        dynamic_batching: { max_queue_delay_us: 9000, preferred_batch_sizes: [4] }
        features: { csv: features.csv }
        """;

    [Fact]
    public void Rewrite_SetsTheBenchBatchingAndThreads()
    {
        var config = Parse(BenchRepository.Rewrite(Source, "tabular", new BatchingConfig(64, 250, 2, 1)));

        Assert.Equal("64", config["max_batch_size"]);
        var batching = (Dictionary<object, object>)config["dynamic_batching"];
        Assert.Equal("250", batching["max_queue_delay_us"]);
        Assert.Equal("2", batching["instances"]);
        Assert.Equal("true", batching["enabled"]);
        Assert.False(batching.ContainsKey("preferred_batch_sizes"));
        var runtime = (Dictionary<object, object>)config["runtime"];
        Assert.Equal("1", runtime["intra_op_threads"]);
        Assert.Equal("all", runtime["graph_optimization_level"]);
    }

    [Fact]
    public void Rewrite_ArrivalGap_WrittenWhenSet_AbsentOtherwise()
    {
        var gapped = (Dictionary<object, object>)Parse(BenchRepository.Rewrite(Source, "tabular", new BatchingConfig(64, 300, 1, 0, 60)))["dynamic_batching"];
        var plain = (Dictionary<object, object>)Parse(BenchRepository.Rewrite(Source, "tabular", new BatchingConfig(64, 300)))["dynamic_batching"];

        Assert.Equal("60", gapped["arrival_gap_us"]);
        Assert.Equal("300", gapped["max_queue_delay_us"]);
        Assert.False(plain.ContainsKey("arrival_gap_us"));
    }

    [Fact]
    public void Rewrite_KeepsTheModelsOwnKeysAndDropsTheVersionPolicy()
    {
        var config = Parse(BenchRepository.Rewrite(Source, "tabular", new BatchingConfig()));

        Assert.False(config.ContainsKey("version_policy"));
        Assert.Equal("onnxruntime_onnx", config["platform"]);
        Assert.True(config.ContainsKey("features"));
        var input = (Dictionary<object, object>)((List<object>)config["inputs"])[0];
        Assert.Equal(new object[] { "-1", "30" }, ((List<object>)input["shape"]).ToArray());
    }

    [Fact]
    public void Rewrite_NoSourceConfig_WritesNameAndBatching()
    {
        var config = Parse(BenchRepository.Rewrite(string.Empty, "bench_mlp", new BatchingConfig()));

        Assert.Equal("bench_mlp", config["name"]);
        Assert.Equal("64", config["max_batch_size"]);
        Assert.Equal("0", ((Dictionary<object, object>)config["dynamic_batching"])["max_queue_delay_us"]);
    }

    private static Dictionary<string, object> Parse(string yaml) => new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(yaml);
}
