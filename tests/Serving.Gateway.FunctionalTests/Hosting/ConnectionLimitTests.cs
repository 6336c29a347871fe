using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Hosting;

/// <summary>Serving:Gateway:MaxConnections: past it the REST listener closes new connections at once; the held ones and the admin listener still answer.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ConnectionLimitTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Gateway_PastMaxConnections_ClosesNewOnes_KeepsAnsweringHeldOnesAndAdmin()
    {
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:MaxConnections"] = "2" });
        using var first = await RawHttp1.ConnectAsync(gateway.Listeners.RestPort);
        using var second = await RawHttp1.ConnectAsync(gateway.Listeners.RestPort);
        Assert.Equal("HTTP/1.1 200 OK", await RawHttp1.StatusLineAsync(first, "/v2/health/live"));
        Assert.Equal("HTTP/1.1 200 OK", await RawHttp1.StatusLineAsync(second, "/v2/health/live"));

        using (var third = await RawHttp1.ConnectAsync(gateway.Listeners.RestPort))
        {
            Assert.Null(await RawHttp1.StatusLineAsync(third, "/v2/health/live"));
        }

        using (var admin = await RawHttp1.ConnectAsync(gateway.Listeners.AdminPort))
        {
            // Its own budget: answered (401 without the token), not closed.
            Assert.Equal("HTTP/1.1 401 Unauthorized", await RawHttp1.StatusLineAsync(admin, "/admin/models"));
        }

        Assert.Equal("HTTP/1.1 200 OK", await RawHttp1.StatusLineAsync(first, "/v2/health/live"));
    }
}
