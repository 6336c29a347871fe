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

    [Theory]
    [InlineData(0.00025, "250us")]
    [InlineData(0.0000001, "0.1us")]
    [InlineData(0.5, "500ms")]
    [InlineData(0, "0s")]
    [InlineData(10, "10s")]
    [InlineData(90, "90s")]
    [InlineData(120, "2m")]
    public void FormatDuration_ReadsBackAsTheSameDuration(double seconds, string text)
    {
        var value = TimeSpan.FromSeconds(seconds);

        Assert.Equal(text, CliParsers.FormatDuration(value));
        Assert.True(CliParsers.TryParseDuration(text, out var back));
        Assert.Equal(value, back);
    }
}
