using Serving.LoadTests.Commands;

namespace Serving.LoadTests.Tests.Commands;

public sealed class GatewayBenchCommandTests
{
    [Fact]
    public void NoRoundsGiven_ThreeRounds_AndTheDefaultsValidate()
    {
        var command = GatewayBenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse([]));

        options.Validate();
        Assert.Equal(3, options.Rounds);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("5", 5)]
    [InlineData("20", 20)]
    public void RoundsGiven_Taken(string value, int rounds)
    {
        var command = GatewayBenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse(["--rounds", value]));

        options.Validate();
        Assert.Equal(rounds, options.Rounds);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("21")]
    public void RoundsOutOfRange_IsRefusedWithItsName(string value)
    {
        var command = GatewayBenchCommand.Create(out var optionsOf);

        var options = optionsOf(command.Parse(["--rounds", value]));

        var e = Assert.Throws<LoadTestException>(options.Validate);
        Assert.Contains("--rounds", e.Message, StringComparison.Ordinal);
    }
}
