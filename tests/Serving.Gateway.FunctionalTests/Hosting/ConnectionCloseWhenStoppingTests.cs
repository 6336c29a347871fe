using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Hosting;

/// <summary>During the gateway's readiness grace period its HTTP/1.1 answers, proxied ones too, carry Connection: close.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ConnectionCloseWhenStoppingTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Gateway_GracePeriod_ProxiedAnswerSaysConnectionClose()
    {
        var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:03" });
        await using (gateway)
        {
            var body = GoldenFile.Load("tabular", "1").RequestBody();
            HttpResponseMessage? first = null;
            for (var i = 0; i < 100 && first?.StatusCode != HttpStatusCode.OK; i++)
            {
                first?.Dispose();
                first = await gateway.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body));
                if (first.StatusCode != HttpStatusCode.OK)
                {
                    await Task.Delay(100);
                }
            }

            using (first)
            {
                Assert.Equal(HttpStatusCode.OK, first!.StatusCode);
                Assert.NotEqual(true, first.Headers.ConnectionClose);
            }

            var stopping = gateway.App.StopAsync();
            HttpResponseMessage? ready = null;
            for (var i = 0; i < 100 && ready?.StatusCode != HttpStatusCode.ServiceUnavailable; i++)
            {
                ready?.Dispose();
                ready = await gateway.Http.GetAsync("/v2/health/ready");
            }

            ready?.Dispose();
            using (var proxied = await gateway.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body)))
            {
                Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
                Assert.True(proxied.Headers.ConnectionClose, "the proxied answer in the grace period does not say Connection: close");
            }

            await stopping;
        }
    }
}
