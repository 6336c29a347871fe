using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.LoadTests.Bench;
using Serving.Worker.Hosting;

namespace Serving.LoadTests.GatewayBench;

/// <summary>The real worker started in this process on 127.0.0.1 with free ports, with both its gRPC and REST roots (the bench's own worker exposes gRPC only).</summary>
internal sealed class InProcessWorkerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessWorkerHost(WebApplication app, WorkerListeners listeners)
    {
        _app = app;
        Addresses = TargetAddresses.Loopback(listeners.GrpcPort, listeners.RestPort);
    }

    /// <summary>The worker's gRPC and REST roots.</summary>
    public TargetAddresses Addresses { get; }

    /// <summary>Starts the worker on <paramref name="repository"/> with the <c>bench</c> command's settings (batching on); models are loaded when this returns.</summary>
    public static async Task<InProcessWorkerHost> StartAsync(string repository, CancellationToken cancellationToken)
    {
        var app = WorkerHost.Build([], InProcessWorker.Settings(repository, batching: true));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new InProcessWorkerHost(app, app.Services.GetRequiredService<WorkerListeners>());
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
