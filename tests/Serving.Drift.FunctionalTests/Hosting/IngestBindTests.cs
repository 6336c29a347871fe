using System.Net;
using System.Net.Sockets;
using Serving.Drift.FunctionalTests.TestSupport;

namespace Serving.Drift.FunctionalTests.Hosting;

/// <summary>
/// <c>Serving:Drift:GrpcBindAddress</c> binds the ingest listener alone (a sidecar binds it to its pod's loopback, where its
/// worker reaches it and no other pod can send records) while the report, health and metrics stay on <c>BindAddress</c>.
/// </summary>
public sealed class IngestBindTests
{
    [Fact]
    public async Task GrpcBindAddress_BindsTheIngestListenerAlone()
    {
        // Two loopback addresses: 127.0.0.2 stands for the pod's loopback, 127.0.0.1 for the address other pods reach.
        await using var drift = await DriftServer.StartAsync(new Dictionary<string, string?> { ["Serving:Drift:GrpcBindAddress"] = "127.0.0.2" });

        Assert.True(await ConnectsAsync(IPAddress.Parse("127.0.0.2"), drift.GrpcPort));
        Assert.False(await ConnectsAsync(IPAddress.Loopback, drift.GrpcPort));
        Assert.False(await ConnectsAsync(IPAddress.Parse("127.0.0.2"), drift.RestPort));
        using var live = await drift.Http.GetAsync("/v2/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("pod-ip")]
    public async Task GrpcBindAddress_NotAnIpAddress_StopsTheStart_NamingTheKey(string address)
    {
        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => DriftServer.StartAsync(new Dictionary<string, string?> { ["Serving:Drift:GrpcBindAddress"] = address }));

        Assert.Contains($"Serving:Drift:GrpcBindAddress '{address}' is not an IP address", e.Message, StringComparison.Ordinal);
    }

    private static async Task<bool> ConnectsAsync(IPAddress address, int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(10));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
