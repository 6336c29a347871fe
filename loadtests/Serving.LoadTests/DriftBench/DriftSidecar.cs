using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.Drift.Hosting;
using Serving.Drift.Monitoring;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// The real drift monitor (<see cref="DriftHost"/>) started in this process on 127.0.0.1 with free ports,
/// watching a model repository and archiving to a temporary folder that is deleted on dispose.
/// </summary>
internal sealed class DriftSidecar : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DriftSidecar(WebApplication app, string archiveDirectory, bool flushToDisk)
    {
        _app = app;
        ArchiveDirectory = archiveDirectory;
        FlushToDisk = flushToDisk;
        var listeners = app.Services.GetRequiredService<DriftListeners>();
        Endpoint = new Uri($"http://127.0.0.1:{listeners.GrpcPort}");
    }

    /// <summary>The ingest address (h2c), what a worker's <c>Serving:Worker:PredictionLogs:Endpoint</c> takes.</summary>
    public Uri Endpoint { get; }

    /// <summary>The archive folder.</summary>
    public string ArchiveDirectory { get; }

    /// <summary>True when each batch is fsynced before its ack (the sidecar's default).</summary>
    public bool FlushToDisk { get; }

    /// <summary>Records the sidecar archived (and so acknowledged) since it started.</summary>
    public long Archived => _app.Services.GetRequiredService<DriftMonitor>().Archived;

    /// <summary>Records the sidecar added to a version's window since it started.</summary>
    public long Scored => _app.Services.GetRequiredService<DriftMonitor>().Versions.Sum(v => v.RecordsSeen);

    /// <summary>The configuration keys the bench sets.</summary>
    public static Dictionary<string, string?> Settings(string repository, string archiveDirectory, bool flushToDisk) => new()
    {
        ["Serving:Drift:ModelRepository"] = repository,
        ["Serving:Drift:BindAddress"] = "127.0.0.1",
        ["Serving:Drift:GrpcPort"] = "0",
        ["Serving:Drift:RestPort"] = "0",
        ["Serving:Drift:Archive:Directory"] = archiveDirectory,
        ["Serving:Drift:Archive:FlushToDisk"] = flushToDisk ? "true" : "false",
        ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
        ["Serving:Shutdown:DrainTimeout"] = "00:00:05",

        // Random bench traffic drifts by design: alerts are expected, their log lines are noise here.
        ["Logging:LogLevel:Default"] = "Error",
        ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
    };

    /// <summary>Starts a sidecar over <paramref name="repository"/>; its reference profiles are loaded when this returns.</summary>
    public static async Task<DriftSidecar> StartAsync(string repository, bool flushToDisk, CancellationToken cancellationToken)
    {
        var archive = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"serving-drift-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"));
        var app = DriftHost.Build([], Settings(repository, archive, flushToDisk));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            DeleteArchive(archive);
            throw;
        }

        return new DriftSidecar(app, archive, flushToDisk);
    }

    /// <summary>What the archive holds now: files, bytes and lines (one line per archived record).</summary>
    public ArchiveCount CountArchive() => ArchiveCount.Of(ArchiveDirectory);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _app.StopAsync(stop.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            DeleteArchive(ArchiveDirectory);
        }
    }

    // The archive of a bench run is gigabytes of random records: never leave it behind.
    private static void DeleteArchive(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: the temp folder is cleaned by the OS eventually.
        }
    }
}
