using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Drift.Archive;
using Serving.Drift.Monitoring;
using Serving.Hosting.Health;

namespace Serving.Drift.Hosting;

/// <summary>Start-up work before the monitor reports ready: a writable archive folder and the reference profiles.</summary>
internal sealed partial class DriftStartup(
    ArchiveWriter archive, ReferenceProfileCatalog catalog, DriftMonitor monitor, ReadinessState readiness, ILogger<DriftStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            archive.EnsureWritable();
            archive.CutPartialLines();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Reported like any bad setting: the start fails with a message that names the key.
            throw new OptionsValidationException(DriftOptions.Section, typeof(DriftOptions), [$"{DriftOptions.Section}:Archive:Directory '{archive.Directory}' is not a writable folder ({e.Message})."]);
        }

        var loaded = catalog.LoadAll();
        monitor.WatchLoaded();
        Log.Ready(logger, loaded, archive.Directory);
        readiness.MarkStarted();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Drift: watching {Profiles} model version(s) with reference profiles; archiving to {Directory}")]
        public static partial void Ready(ILogger logger, int profiles, string directory);
    }
}
