using Serving.Protocol.Rest;

namespace Serving.Protocol.Tests.Rest;

public sealed class RestPathsTests
{
    [Theory]
    [InlineData("/v2", "GET")]
    [InlineData("/v2/", "GET")]
    [InlineData("/v2/health/live", "GET, HEAD")]
    [InlineData("/v2/health/ready", "GET, HEAD")]
    [InlineData("/v2/models/tabular", "GET")]
    [InlineData("/v2/models/tabular/versions/1", "GET")]
    [InlineData("/v2/models/tabular/ready", "GET, HEAD")]
    [InlineData("/v2/models/tabular/versions/1/ready", "GET, HEAD")]
    [InlineData("/v2/models/tabular/infer", "POST")]
    [InlineData("/v2/models/tabular/versions/1/infer", "POST")]
    [InlineData("/v2/repository/index", "POST")]
    [InlineData("/v2/models/tabular/config", "GET")]
    [InlineData("/v2/models/stats", "GET")]
    [InlineData("/v2/models/tabular/versions/1/stats", "GET")]
    [InlineData("/v2/models/tabular/versions/1/config", "GET")]
    [InlineData("/metrics", "GET")]
    [InlineData("/metrics/", "GET")]
    [InlineData("/metrics/x", null)]
    [InlineData("/v2/metrics", null)]
    [InlineData("/v2/repository/models/tabular/load", "POST")]
    [InlineData("/v2/repository/models/tabular/unload", "POST")]
    [InlineData("/v2/repository/models/tabular/other", null)]
    [InlineData("/v2/repository/models/tabular", null)]
    [InlineData("/v2/health/other", null)]
    [InlineData("/v2/models", null)]
    [InlineData("/v2/models/tabular/versions/1/nothing", null)]
    [InlineData("/v2/models//infer", null)]
    [InlineData("/v1/models/tabular/infer", null)]
    [InlineData("/", null)]
    [InlineData("//v2/health/ready", null)]
    [InlineData("///v2/models/tabular/infer", null)]
    [InlineData("/v2/health/ready/", "GET, HEAD")]
    [InlineData("/v2/health/ready//", null)]
    [InlineData("v2/health/ready", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void MethodFor_TheProtocolPathsOnly(string? path, string? method)
    {
        Assert.Equal(method, RestPaths.MethodFor(path));
    }
}
