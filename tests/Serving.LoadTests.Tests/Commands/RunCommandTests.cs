using Serving.LoadTests.Commands;
using Serving.LoadTests.Generator;

namespace Serving.LoadTests.Tests.Commands;

public sealed class RunCommandTests
{
    private static readonly string[] Target = ["--target", "http://127.0.0.1:1", "--model", "m"];

    [Theory]
    [InlineData("--rate", "100")]
    [InlineData("--ramp-to", "200")]
    [InlineData("--max-in-flight", "8")]
    [InlineData("--wake-interval", "1ms")]
    public void ClosedMode_OpenModelOptionGiven_IsRefusedNamingIt(string option, string value)
    {
        var command = RunCommand.Create(out var profileOf);

        foreach (var args in new string[][] { [.. Target, option, value], [.. Target, "--mode", "closed", "--concurrency", "8", option, value] })
        {
            var e = Assert.Throws<LoadTestException>(() => profileOf(command.Parse(args)));

            Assert.StartsWith(option, e.Message, StringComparison.Ordinal);
            Assert.Contains("--mode open", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ClosedMode_NoOpenModelOption_RunsTheCallers()
    {
        var command = RunCommand.Create(out var profileOf);

        var profile = profileOf(command.Parse([.. Target, "--concurrency", "8"]));

        Assert.Equal(LoadMode.Closed, profile.Mode);
        Assert.Equal(8, profile.Concurrency);
    }

    [Fact]
    public void OpenMode_RateRampAndCap_Taken()
    {
        var command = RunCommand.Create(out var profileOf);

        var profile = profileOf(command.Parse([.. Target, "--mode", "open", "--rate", "100", "--ramp-to", "200", "--max-in-flight", "8", "--wake-interval", "1ms"]));

        Assert.Equal(LoadMode.Open, profile.Mode);
        Assert.Equal(100, profile.Rate);
        Assert.Equal(200, profile.RampTo);
        Assert.Equal(8, profile.MaxInFlight);
        Assert.Equal(TimeSpan.FromMilliseconds(1), profile.WakeInterval);
    }
}
