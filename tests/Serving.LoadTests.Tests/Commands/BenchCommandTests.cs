using Serving.LoadTests.Bench;
using Serving.LoadTests.Commands;

namespace Serving.LoadTests.Tests.Commands;

public sealed class BenchCommandTests
{
    [Fact]
    public void NoBatchingOptions_NoOverrides_EachModelKeepsItsOwn()
    {
        var command = BenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse([]));

        options.Validate();
        Assert.Equal(new BatchingOverrides(), options.Batching);
    }

    [Fact]
    public void BatchingOptionsGiven_OverrideOnlyThose()
    {
        var command = BenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse(["--instances", "2", "--max-queue-delay-us", "0"]));

        Assert.Equal(new BatchingOverrides(Instances: 2, MaxQueueDelayMicros: 0), options.Batching);
        Assert.Equal(new BatchingConfig(32, 0, 2, 1), BatchingConfig.Resolve("max_batch_size: 32\nruntime: { intra_op_threads: 1 }\n", options.Batching));
    }

    [Theory]
    [InlineData("--max-batch-size", "1")]
    [InlineData("--instances", "0")]
    [InlineData("--intra-op-threads", "-1")]
    [InlineData("--intra-op-threads", "1025")]
    [InlineData("--max-queue-delay-us", "-5")]
    public void BatchingOptionOutOfRange_IsRefusedWithItsName(string option, string value)
    {
        var command = BenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse([option, value]));

        var e = Assert.Throws<LoadTestException>(options.Validate);
        Assert.Contains(option, e.Message, StringComparison.Ordinal);
    }
}
