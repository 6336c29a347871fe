using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Hosting;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A worker taken out of rotation is a warning that says why: it was an Information line, "Worker … is unhealthy",
/// with no reason, below the level operators alert on.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class WorkerHealthLogTests
{
    [Fact]
    public async Task WorkerNotListening_Warning_SaysTheProbeFailedAndWhy()
    {
        var port = ClosedPort();
        var logs = new CapturingLoggerProvider();

        await using var gateway = await GatewayServer.StartAsync([GatewayWorkerAddress.Loopback(port, port)], tracing: Capture(logs));

        var line = await WaitForAsync(logs, "is unhealthy");
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.StartsWith($"Worker http://127.0.0.1:{port} is unhealthy: 1 probe in a row failed, the last: Connection refused", line.Message, StringComparison.Ordinal);
        Assert.EndsWith("No requests go to it until a probe finds it ready", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkerNotReady_Warning_SaysItAnswersNotReady_ThenHealthyAtInformation()
    {
        var ready = false;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var worker = builder.Build();
        worker.MapGet("/v2/health/ready", () => ready ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        worker.MapPost("/v2/repository/index", () => Results.Json(Array.Empty<object>()));
        await worker.StartAsync();
        var port = new Uri(worker.Urls.Single()).Port;
        var logs = new CapturingLoggerProvider();

        await using var gateway = await GatewayServer.StartAsync(
            [GatewayWorkerAddress.Loopback(port, port)], new Dictionary<string, string?> { ["Logging:LogLevel:Serving.Gateway.Discovery"] = "Information" }, Capture(logs));

        var unhealthy = await WaitForAsync(logs, "is unhealthy");
        Assert.Equal(LogLevel.Warning, unhealthy.Level);
        Assert.Equal(
            $"Worker http://127.0.0.1:{port} is unhealthy: it answers that it is not ready (/v2/health/ready). No requests go to it until a probe finds it ready",
            unhealthy.Message);

        ready = true;
        var healthy = await WaitForAsync(logs, "is healthy");
        Assert.Equal(LogLevel.Information, healthy.Level);
        Assert.Equal($"Worker http://127.0.0.1:{port} is healthy", healthy.Message);
    }

    private static Action<TracerProviderBuilder> Capture(CapturingLoggerProvider logs) => t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs));

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<CapturedLog> WaitForAsync(CapturingLoggerProvider logs, string text)
    {
        for (var i = 0; i < 400; i++)
        {
            if (logs.Entries.FirstOrDefault(e => e.Category.EndsWith("WorkerDiscoveryService", StringComparison.Ordinal) && e.Message.Contains(text, StringComparison.Ordinal)) is { } entry)
            {
                return entry;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"no log line with '{text}'; saw: {string.Join(" | ", logs.Entries.Select(e => e.Message))}");
    }
}
