using Serving.LoadTests.Bench;

namespace Serving.LoadTests.Tests.Bench;

public sealed class BatchingConfigTests
{
    private const string Tuned = """
        name: m
        max_batch_size: 32
        dynamic_batching:
          max_queue_delay_us: 2000
          instances: 2
        runtime:
          intra_op_threads: 1
        """;

    [Fact]
    public void Resolve_ModelYamlSettings_AreTheModelsOwn()
    {
        Assert.Equal(new BatchingConfig(32, 2000, 2, 1), BatchingConfig.Resolve(Tuned, new BatchingOverrides()));
    }

    [Fact]
    public void Resolve_NoSettings_AreTheBenchDefaults()
    {
        Assert.Equal(new BatchingConfig(64, 0, 1, 0), BatchingConfig.Resolve("name: m\nmax_batch_size: 0\n", new BatchingOverrides()));
        Assert.Equal(new BatchingConfig(64, 0, 1, 0), BatchingConfig.Resolve(string.Empty, new BatchingOverrides()));
    }

    [Fact]
    public void Resolve_Overrides_ReplaceOnlyWhatTheySet()
    {
        Assert.Equal(new BatchingConfig(32, 0, 2, 4), BatchingConfig.Resolve(Tuned, new BatchingOverrides(MaxQueueDelayMicros: 0, IntraOpThreads: 4)));
        Assert.Equal(new BatchingConfig(128, 0, 1, 0), BatchingConfig.Resolve(string.Empty, new BatchingOverrides(MaxBatchSize: 128)));
    }

    [Fact]
    public void Resolve_ArrivalGap_FromTheModelYaml_OverriddenByTheCommandLine_DroppedWithoutADelay()
    {
        const string gapped = "max_batch_size: 64\ndynamic_batching:\n  max_queue_delay_us: 300\n  arrival_gap_us: 60\n";

        Assert.Equal(new BatchingConfig(64, 300, 1, 0, 60), BatchingConfig.Resolve(gapped, new BatchingOverrides()));
        Assert.Equal(new BatchingConfig(64, 300, 1, 0, 20), BatchingConfig.Resolve(gapped, new BatchingOverrides(ArrivalGapMicros: 20)));
        Assert.Equal(new BatchingConfig(64, 0, 1, 0, 0), BatchingConfig.Resolve(gapped, new BatchingOverrides(MaxQueueDelayMicros: 0)));
        Assert.Equal(new BatchingConfig(32, 2000, 2, 1, 500), BatchingConfig.Resolve(Tuned, new BatchingOverrides(ArrivalGapMicros: 500)));
    }

    [Fact]
    public void ShippedTabularModel_NoQueueDelay()
    {
        var model = BenchModel.Locate("tabular", BenchModel.FindRepositoryRoot(AppContext.BaseDirectory));

        // README, "Batching under load": since a batch loop answers its batch itself, no delay does best for tabular.
        Assert.Equal(new BatchingConfig(64, 0, 1, 0, 0), model.Batching(new BatchingOverrides()));
    }

    [Fact]
    public void Resolve_NotANumber_SaysWhichKey()
    {
        var e = Assert.Throws<LoadTestException>(() => BatchingConfig.Resolve("dynamic_batching:\n  instances: two\n", new BatchingOverrides()));

        Assert.Contains("dynamic_batching.instances: 'two'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IsOrtDefault_OnlyOneInstanceOnOrtsThreads()
    {
        Assert.True(new BatchingConfig(32, 2000).IsOrtDefault);
        Assert.False(new BatchingConfig(Instances: 2).IsOrtDefault);
        Assert.False(new BatchingConfig(IntraOpThreads: 1).IsOrtDefault);
    }

    [Fact]
    public void ShippedBenchModel_IsTunedForACpu()
    {
        var model = BenchModel.Locate("bench_mlp", BenchModel.FindRepositoryRoot(AppContext.BaseDirectory));

        Assert.Equal(new BatchingConfig(32, 2000, 2, 1), model.Batching(new BatchingOverrides()));
    }
}
