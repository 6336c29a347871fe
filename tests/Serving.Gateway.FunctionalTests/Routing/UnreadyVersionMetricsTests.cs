using System.Net;
using Grpc.Core;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Routing;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A request whose policy-chosen version has no ready worker (a dead canary) is answered 503 / UNAVAILABLE and counted
/// in <c>serving_gateway_requests_total</c> against that version and its arm, as the rollback monitor counts it: it
/// was counted with an empty version and arm, so a per-version dashboard could not see the canary fail.
/// </summary>
public sealed class UnreadyVersionMetricsTests(CanaryFixture fixture) : IClassFixture<CanaryFixture>
{
    [Fact]
    public async Task ChosenVersionWithNoReadyWorker_CountedAgainstThatVersionAndArm()
    {
        // Version 3 of tabular lives on a worker of its own, which is killed.
        await using var canary = await Workers.StartTabularVersion3Async();
        var canaryWorker = canary.Worker;
        await using var gateway = await GatewayServer.StartAsync([fixture.Worker, canaryWorker]);
        await UntilAsync(() => IsReady(gateway, "3"));
        await Policies.SetAsync(gateway, """{"weights": {"1": 0, "3": 100}}""");
        await Workers.KillAsync(canaryWorker);
        await UntilAsync(() => !IsReady(gateway, "3"));

        // The series are the process's: other tests' gateways add to them, so the test reads what its calls added.
        const string Rest = "model=\"tabular\",version=\"3\",arm=\"weight\",protocol=\"rest\",code=\"503\"";
        const string Grpc = "model=\"tabular\",version=\"3\",arm=\"weight\",protocol=\"grpc\",code=\"Unavailable\"";
        const string Unversioned = "model=\"tabular\",version=\"\"";
        var before = (RestCount: await CountAsync(gateway, Rest), GrpcCount: await CountAsync(gateway, Grpc), UnversionedCount: await CountAsync(gateway, Unversioned));

        var (status, _, body) = await Infer.RestAsync(gateway.Http);
        var grpc = await Assert.ThrowsAsync<RpcException>(() => Infer.GrpcAsync(gateway.Grpc));

        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{status} {body}");
        Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
        Assert.Equal(before.RestCount + 1, await CountAsync(gateway, Rest));
        Assert.Equal(before.GrpcCount + 1, await CountAsync(gateway, Grpc));
        Assert.Equal(before.UnversionedCount, await CountAsync(gateway, Unversioned));
    }

    private static Task<double> CountAsync(GatewayServer gateway, string labels) => MetricsText.SumAsync(gateway, "serving_gateway_requests_total", labels);

    private static bool IsReady(GatewayServer gateway, string version) =>
        gateway.Service<RoutingState>().Table.TryGetModel("tabular", out var m) && m.TryGetVersion(version, out var v) && v.IsReady;

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the expected state was not reached within 30 s");
            await Task.Delay(10);
        }
    }
}
