using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Hosting.Health;
using Serving.Worker.Configuration;

namespace Serving.Worker.Models;

/// <summary>Loads the repository before the server listens, then polls it for changes.</summary>
internal sealed partial class ModelRepositoryService(
    ModelRepository repository, ReadinessState readiness, IOptions<WorkerOptions> options, ILogger<ModelRepositoryService> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await repository.SyncAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var table = repository.Table;
        Log.Loaded(logger, table.Models.Count, table.Models.Values.Sum(m => m.Versions.Count(v => v.Value.State == ModelVersionState.Ready)));
        readiness.MarkStarted();
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.RepositoryPollInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await repository.SyncAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log.PollFailed(logger, e.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Model repository loaded: {Models} models, {Ready} versions ready")]
        public static partial void Loaded(ILogger logger, int models, int ready);

        [LoggerMessage(2, LogLevel.Warning, "Model repository poll failed: {Reason}")]
        public static partial void PollFailed(ILogger logger, string reason);
    }
}
