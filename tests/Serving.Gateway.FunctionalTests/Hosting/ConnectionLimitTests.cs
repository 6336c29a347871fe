using System.Net.Sockets;
using System.Text;
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
        using var first = await ConnectAsync(gateway.Listeners.RestPort);
        using var second = await ConnectAsync(gateway.Listeners.RestPort);
        Assert.Equal("HTTP/1.1 200 OK", await StatusLineAsync(first, "/v2/health/live"));
        Assert.Equal("HTTP/1.1 200 OK", await StatusLineAsync(second, "/v2/health/live"));

        using (var third = await ConnectAsync(gateway.Listeners.RestPort))
        {
            Assert.Null(await StatusLineAsync(third, "/v2/health/live"));
        }

        using (var admin = await ConnectAsync(gateway.Listeners.AdminPort))
        {
            // Its own budget: answered (401 without the token), not closed.
            Assert.Equal("HTTP/1.1 401 Unauthorized", await StatusLineAsync(admin, "/admin/models"));
        }

        Assert.Equal("HTTP/1.1 200 OK", await StatusLineAsync(first, "/v2/health/live"));
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        return client;
    }

    private static async Task<string?> StatusLineAsync(TcpClient client, string path)
    {
        try
        {
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return read > 0 ? Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0] : null;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            return null;
        }
    }
}
