using Serving.LoadTests.Commands;

namespace Serving.LoadTests.Tests.FeatureBench;

public sealed class FeaturesBenchCommandTests
{
    [Fact]
    public void Defaults_Validate()
    {
        var command = FeaturesBenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse([]));

        options.Validate();
        Assert.Equal(1, options.Batching.Instances);
        Assert.Equal(64, options.Concurrency);
        Assert.Equal(2, options.Rounds);
        Assert.Equal(2 * 2 * 2 * 2, options.Arms); // layouts × near-cache settings × rounds × forms
    }

    [Theory]
    [InlineData("0")]
    [InlineData("21")]
    public void RoundsOutOfRange_IsRefusedWithTheOptionName(string rounds)
    {
        var command = FeaturesBenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse(["--rounds", rounds]));

        var e = Assert.Throws<Serving.LoadTests.LoadTestException>(options.Validate);
        Assert.Contains("--rounds", e.Message);
    }

    [Fact]
    public void InstancesZero_IsRefusedWithTheOptionName()
    {
        var command = FeaturesBenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse(["--instances", "0"]));

        var e = Assert.Throws<Serving.LoadTests.LoadTestException>(options.Validate);
        Assert.Contains("--instances", e.Message);
    }
}
