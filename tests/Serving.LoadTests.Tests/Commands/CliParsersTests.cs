using Serving.LoadTests.Commands;

namespace Serving.LoadTests.Tests.Commands;

public sealed class CliParsersTests
{
    [Theory]
    [InlineData("250us", 0.00025)]
    [InlineData("250µs", 0.00025)]
    [InlineData("500ms", 0.5)]
    [InlineData("10s", 10)]
    [InlineData("2m", 120)]
    [InlineData("7", 7)]
    [InlineData("1.5s", 1.5)]
    public void TryParseDuration_Forms_AreSeconds(string text, double seconds)
    {
        Assert.True(CliParsers.TryParseDuration(text, out var value));
        Assert.Equal(seconds, value.TotalSeconds, 9);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1s")]
    [InlineData("fast")]
    [InlineData("NaNs")]
    public void TryParseDuration_NotADuration_IsFalse(string text)
    {
        Assert.False(CliParsers.TryParseDuration(text, out _));
    }
}
