using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.LoadTests.Targets;
using Serving.Worker.Hosting;

namespace Serving.LoadTests.Bench;

/// <summary>The real worker (<see cref="WorkerHost"/>) started in this process on 127.0.0.1 with free ports.</summary>
internal sealed class InProcessWorker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _metrics;

    private InProcessWorker(WebApplication app, WorkerListeners listeners)
    {
        _app = app;
        GrpcAddress = new Uri($"http://127.0.0.1:{listeners.GrpcPort}");
        RestAddress = new Uri($"http://127.0.0.1:{listeners.RestPort}");
        _metrics = new HttpClient(HttpHandlers.ForMetadata()) { BaseAddress = new Uri($"http://127.0.0.1:{listeners.MetricsPort}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The gRPC (h2c) root.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>The REST root.</summary>
    public Uri RestAddress { get; }

    /// <summary>The configuration keys the bench sets; <paramref name="batching"/> false is the "batching off" arm.</summary>
    public static Dictionary<string, string?> Settings(string repository, bool batching) => new()
    {
        ["Serving:Worker:ModelRepository"] = repository,
        ["Serving:Worker:BindAddress"] = "127.0.0.1",
        ["Serving:Worker:RestPort"] = "0",
        ["Serving:Worker:GrpcPort"] = "0",
        ["Serving:Worker:MetricsPort"] = "0",
        ["Serving:Worker:RepositoryPollInterval"] = "00:00:00",
        ["Serving:Worker:EnableBatching"] = batching ? "true" : "false",
        ["Serving:Runtime:ExecutionProvider"] = "cpu",
        ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
        ["Serving:Shutdown:DrainTimeout"] = "00:00:05",
        ["Logging:LogLevel:Default"] = "Warning",

        // stdout carries the report; the worker's warnings go to stderr with the progress.
        ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
    };

    /// <summary>Builds and starts the worker; its models are loaded when this returns.</summary>
    public static Task<InProcessWorker> StartAsync(string repository, bool batching, CancellationToken cancellationToken) =>
        StartAsync(Settings(repository, batching), cancellationToken);

    /// <summary>Builds and starts the worker with <paramref name="settings"/> (<see cref="Settings"/> plus a bench's own keys).</summary>
    public static async Task<InProcessWorker> StartAsync(Dictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var app = WorkerHost.Build([], settings);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new InProcessWorker(app, app.Services.GetRequiredService<WorkerListeners>());
    }

    /// <summary>The Prometheus text of <c>/metrics</c>.</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellationToken)
    {
        using var response = await _metrics.GetAsync("/metrics", cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _metrics.Dispose();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
