using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.LoadTests.Bench;
using Serving.LoadTests.Targets;
using Serving.Worker.Hosting;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// The real worker in this process, configured as the bench's (<see cref="InProcessWorker.Settings"/>, batching on),
/// with prediction logs at 100% to <c>logsEndpoint</c>, or off when it is null.
/// </summary>
internal sealed class LoggingWorker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _metrics;

    private LoggingWorker(WebApplication app, WorkerListeners listeners, bool logging)
    {
        _app = app;
        Logging = logging;
        GrpcAddress = new Uri($"http://127.0.0.1:{listeners.GrpcPort}");
        _metrics = new HttpClient(HttpHandlers.ForMetadata()) { BaseAddress = new Uri($"http://127.0.0.1:{listeners.MetricsPort}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The gRPC (h2c) root.</summary>
    public Uri GrpcAddress { get; }

    /// <summary>True when this worker ships prediction logs.</summary>
    public bool Logging { get; }

    /// <summary>The bench's worker settings plus the prediction-log keys.</summary>
    public static Dictionary<string, string?> Settings(string repository, Uri? logsEndpoint)
    {
        var settings = InProcessWorker.Settings(repository, batching: true);
        settings["Serving:Worker:PredictionLogs:Endpoint"] = logsEndpoint?.ToString().TrimEnd('/') ?? string.Empty;
        settings["Serving:Worker:PredictionLogs:SampleRate"] = "1";
        return settings;
    }

    /// <summary>Builds and starts the worker; its models are loaded when this returns.</summary>
    public static async Task<LoggingWorker> StartAsync(string repository, Uri? logsEndpoint, CancellationToken cancellationToken)
    {
        var app = WorkerHost.Build([], Settings(repository, logsEndpoint));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new LoggingWorker(app, app.Services.GetRequiredService<WorkerListeners>(), logsEndpoint is not null);
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
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
