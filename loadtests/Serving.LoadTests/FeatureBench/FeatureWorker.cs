using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Targets;
using Serving.Worker.Hosting;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// The real worker started in this process with the bench's settings (<see cref="InProcessWorker.Settings"/>,
/// batching on) plus the Redis connection string, so entity-form calls look features up in Redis.
/// </summary>
internal sealed class FeatureWorker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _metrics;

    private FeatureWorker(WebApplication app, WorkerListeners listeners)
    {
        _app = app;
        GrpcAddress = new Uri($"http://127.0.0.1:{listeners.GrpcPort}");
        _metrics = new HttpClient(HttpHandlers.ForMetadata()) { BaseAddress = new Uri($"http://127.0.0.1:{listeners.MetricsPort}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The gRPC (h2c) root.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>The configuration: the bench's, with the feature store on <paramref name="redis"/> and, if given, its call timeout.</summary>
    public static Dictionary<string, string?> Settings(string repository, string redis, TimeSpan? storeTimeout)
    {
        var settings = InProcessWorker.Settings(repository, batching: true);
        settings["Serving:Features:Redis"] = redis;
        if (storeTimeout is { } timeout)
        {
            settings["Serving:Features:Timeout"] = timeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    /// <summary>Builds and starts the worker; its models are loaded when this returns.</summary>
    public static async Task<FeatureWorker> StartAsync(string repository, string redis, TimeSpan? storeTimeout, CancellationToken cancellationToken)
    {
        var app = WorkerHost.Build([], Settings(repository, redis, storeTimeout));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new FeatureWorker(app, app.Services.GetRequiredService<WorkerListeners>());
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
