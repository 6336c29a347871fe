using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// How REST calls reach workers (<c>Serving:Gateway:RestToWorkers</c>): by default over HTTP/2 to the worker's gRPC (h2c)
/// address, or over HTTP/1.1 to its REST address. The primary call and its shadow copy go the same way; gRPC calls always go
/// over HTTP/2 to the gRPC address. An unknown setting stops the gateway at start.
/// </summary>
public sealed class RestToWorkersTests
{
    private const string Model = "rest-hop";

    [Theory]
    [InlineData(null, "HTTP/2")]
    [InlineData("Http2", "HTTP/2")]
    [InlineData("Http11", "HTTP/1.1")]
    public async Task RestCalls_ReachTheWorker_OverTheConfiguredProtocol_AndPort(string? setting, string protocol)
    {
        await using var primary = await StubWorker.AnsweringAsync(Model, "1");
        await using var shadow = await StubWorker.AnsweringAsync(Model, "9");
        await using var gateway = await StubWorker.GatewayAsync([primary, shadow], discoveryInterval: "00:00:00.100", restToWorkers: setting);
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "9", "percent": 100}}""", Model);

        Assert.True(await Infer.SucceedsAsync(gateway, Model, "1", grpc: false));
        var (status, version, _) = await Infer.RestAsync(gateway.Http, $"/v2/models/{Model}/infer");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal("1", version);
        Assert.True(await Infer.SucceedsAsync(gateway, Model, "1", grpc: true));
        await Poll.UntilAsync(() => shadow.Arrivals.Count >= 1);

        var restPort = protocol == "HTTP/2" ? primary.GrpcPort : primary.RestPort;
        Assert.Equal([$"{protocol} {restPort}", $"{protocol} {restPort}", $"HTTP/2 {primary.GrpcPort}"], primary.Arrivals);

        // The unversioned call (the policy's pick) was copied to the shadow the same way as the primary.
        var shadowPort = protocol == "HTTP/2" ? shadow.GrpcPort : shadow.RestPort;
        Assert.Equal($"{protocol} {shadowPort}", Assert.Single(shadow.Arrivals));
    }

    [Fact]
    public async Task UnknownSetting_StopsTheGatewayAtStart()
    {
        await using var worker = await StubWorker.AnsweringAsync(Model, "1");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => StubWorker.GatewayAsync([worker], discoveryInterval: "00:00:01", restToWorkers: "Http3"));
        Assert.Contains("RestToWorkers", e.ToString(), StringComparison.Ordinal);
    }
}
