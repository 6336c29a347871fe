using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;
using Serving.Gateway.Hosting;
using Serving.LoadTests.GatewayBench;

namespace Serving.LoadTests.Tests.GatewayBench;

/// <summary>The bench's gateway settings reach the real gateway's options (built, not started).</summary>
public sealed class InProcessGatewayTests
{
    [Theory]
    [InlineData(WorkerRestProtocol.Http11)]
    [InlineData(WorkerRestProtocol.Http2)]
    public async Task Settings_RestToWorkers_IsTheGatewaysOption(WorkerRestProtocol hop)
    {
        using var folder = new TempFolder();
        await using var app = GatewayHost.Build([], InProcessGateway.Settings(folder.Path, hop), [GatewayWorkerAddress.Loopback(1, 2)]);

        Assert.Equal(hop, app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.RestToWorkers);
    }

    [Fact]
    public async Task Settings_WithoutAHop_LeaveTheGatewaysDefault()
    {
        using var folder = new TempFolder();
        await using var app = GatewayHost.Build([], InProcessGateway.Settings(folder.Path), [GatewayWorkerAddress.Loopback(1, 2)]);

        Assert.Equal(new GatewayOptions().RestToWorkers, app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.RestToWorkers);
    }
}
