using Serving.Protocol.Wire;

namespace Serving.Protocol.Tests.Wire;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("30M", 18_000_000_000L)]
    [InlineData("5S", 50_000_000L)]
    [InlineData("100m", 1_000_000L)]
    [InlineData("250u", 2_500L)]
    [InlineData("1000000n", 10_000L)]
    [InlineData("99n", 0L)]
    [InlineData("0S", 0L)]
    [InlineData("99999999H", 99_999_999L * 36_000_000_000L)]
    public void TryParse_Valid_Timeout(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(TimeSpan.FromTicks(ticks), timeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("m")]
    [InlineData("123456789S")]
    [InlineData("1x")]
    [InlineData("1s")]
    [InlineData("-1S")]
    [InlineData("+1S")]
    [InlineData("1.5S")]
    [InlineData(" 1S")]
    public void TryParse_Invalid_False(string value) => Assert.False(GrpcTimeout.TryParse(value, out _));
}
