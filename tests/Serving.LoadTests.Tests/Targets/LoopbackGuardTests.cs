using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Tests.Targets;

public sealed class LoopbackGuardTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8500")]
    [InlineData("http://127.1.2.3:80/")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://LOCALHOST:8080")]
    [InlineData("http://[::1]:8081")]
    [InlineData("http://[::ffff:127.0.0.1]:8081")]
    public void Parse_LoopbackRoot_IsAccepted(string target)
    {
        var uri = LoopbackGuard.Parse(target);

        Assert.True(LoopbackGuard.IsLoopback(uri));
    }

    [Theory]
    [InlineData("http://10.0.0.1:8500")]
    [InlineData("http://192.168.1.10")]
    [InlineData("http://example.com:8500")]
    [InlineData("http://localhost.example.com")]
    [InlineData("http://[::ffff:10.0.0.1]:80")]
    [InlineData("http://0.0.0.0:8500")]
    public void Parse_NotLoopback_Throws(string target)
    {
        var e = Assert.Throws<LoadTestException>(() => LoopbackGuard.Parse(target));

        Assert.Contains("not a loopback address", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://127.0.0.1:8500")]
    [InlineData("127.0.0.1:8500")]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("not a url")]
    public void Parse_NotHttpUrl_Throws(string target)
    {
        var e = Assert.Throws<LoadTestException>(() => LoopbackGuard.Parse(target));

        Assert.Contains("http://", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8500/v2/models")]
    [InlineData("http://127.0.0.1:8500/?x=1")]
    public void Parse_PathOrQuery_Throws(string target)
    {
        var e = Assert.Throws<LoadTestException>(() => LoopbackGuard.Parse(target));

        Assert.Contains("server root", e.Message, StringComparison.Ordinal);
    }
}
