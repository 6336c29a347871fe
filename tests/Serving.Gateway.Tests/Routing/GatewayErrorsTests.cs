using Serving.Gateway.Routing;

namespace Serving.Gateway.Tests.Routing;

public sealed class GatewayErrorsTests
{
    [Theory]
    [InlineData("unknown model 'x'", "unknown model 'x'")]
    [InlineData("100% done", "100%25 done")]
    [InlineData("line\nbreak", "line%0Abreak")]
    [InlineData("é", "%C3%A9")]
    public void PercentEncode_FollowsGrpcMessageRules(string message, string encoded)
    {
        Assert.Equal(encoded, GatewayErrors.PercentEncode(message));
    }
}
