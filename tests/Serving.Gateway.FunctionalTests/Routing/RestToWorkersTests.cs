using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// How REST calls reach workers (<c>Serving:Gateway:RestToWorkers</c>): over HTTP/2 to the worker's gRPC (h2c) address,
/// over HTTP/1.1 to its REST address, or (Auto, the default) HTTP/1.1 for a call that finds nothing in flight to its
/// worker and HTTP/2 for calls that overlap. Shadow copies take HTTP/1.1 only when it is configured. gRPC calls always go
/// over HTTP/2 to the gRPC address. An unknown setting stops the gateway at start.
/// </summary>
public sealed class RestToWorkersTests
{
    private const string Model = "rest-hop";

    [Theory]
    [InlineData("Http2", "HTTP/2")]
    [InlineData("Http11", "HTTP/1.1")]
    public async Task EveryRestCall_ReachesTheWorker_OverTheConfiguredProtocol_AndPort(string setting, string protocol)
    {
        await using var primary = await StubWorker.AnsweringAsync(Model, "1");
        await using var shadow = await StubWorker.AnsweringAsync(Model, "9");
        await using var gateway = await StubWorker.GatewayAsync([primary, shadow], discoveryInterval: "00:00:00.100", restToWorkers: setting);
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "9", "percent": 100}}""", Model);

        Assert.True(await Infer.SucceedsAsync(gateway, Model, "1", grpc: false));
        var (status, version, _) = await Infer.RestAsync(gateway.Http, $"/v2/models/{Model}/infer");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("1", version);
        Assert.True(await Infer.SucceedsAsync(gateway, Model, "1", grpc: true));
        await Poll.UntilAsync(() => shadow.Arrivals.Count >= 1);

        Assert.Equal([Arrival(primary, protocol), Arrival(primary, protocol), Arrival(primary, "HTTP/2")], primary.Arrivals);

        // The unversioned call (the policy's pick) was copied to the shadow the same way.
        Assert.Equal(Arrival(shadow, protocol), Assert.Single(shadow.Arrivals));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Auto")]
    public async Task Auto_ALoneCall_GoesOverHttp11_ItsShadowCopyOverHttp2(string? setting)
    {
        await using var primary = await StubWorker.AnsweringAsync(Model, "1");
        await using var shadow = await StubWorker.AnsweringAsync(Model, "9");
        await using var gateway = await StubWorker.GatewayAsync([primary, shadow], discoveryInterval: "00:00:00.100", restToWorkers: setting);
        await Policies.SetAsync(gateway, """{"weights": {"1": 100}, "shadow": {"version": "9", "percent": 100}}""", Model);

        var (status, version, _) = await Infer.RestAsync(gateway.Http, $"/v2/models/{Model}/infer");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("1", version);
        await Poll.UntilAsync(() => shadow.Arrivals.Count >= 1);

        // Only the first call is asserted: a later one may be routed before the gateway has counted the previous one out.
        Assert.Equal([Arrival(primary, "HTTP/1.1")], primary.Arrivals);
        Assert.Equal(Arrival(shadow, "HTTP/2"), Assert.Single(shadow.Arrivals));
    }

    [Fact]
    public async Task Auto_ACallThatOverlapsAnother_GoesOverHttp2()
    {
        await using var worker = await StubWorker.StallingAsync(Model, "1");
        await using var gateway = await StubWorker.GatewayAsync([worker], discoveryInterval: "00:00:00.100");
        using var stop = new CancellationTokenSource();
        var path = $"/v2/models/{Model}/versions/1/infer";

        // The first call is held by the worker, so it is in flight when the second one is routed.
        var first = gateway.Http.PostAsync(path, new StringContent(Infer.RestBody), stop.Token);
        await Poll.UntilAsync(() => worker.Arrivals.Count == 1);
        var second = gateway.Http.PostAsync(path, new StringContent(Infer.RestBody), stop.Token);
        await Poll.UntilAsync(() => worker.Arrivals.Count == 2);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(first, second));

        Assert.Equal([Arrival(worker, "HTTP/1.1"), Arrival(worker, "HTTP/2")], worker.Arrivals);
    }

    [Fact]
    public async Task UnknownSetting_StopsTheGatewayAtStart()
    {
        await using var worker = await StubWorker.AnsweringAsync(Model, "1");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => StubWorker.GatewayAsync([worker], discoveryInterval: "00:00:01", restToWorkers: "Http3"));
        Assert.Contains("RestToWorkers", e.ToString(), StringComparison.Ordinal);
    }

    private static string Arrival(StubWorker worker, string protocol) => $"{protocol} {(protocol == "HTTP/2" ? worker.GrpcPort : worker.RestPort)}";
}
