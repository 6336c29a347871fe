using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Serving.Drift.Alerts;
using Serving.Drift.Archive;
using Serving.Drift.Hosting;
using Serving.Drift.Monitoring;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>A real drift monitor on Kestrel, 127.0.0.1 (port 0 unless given), over the sample models, archiving to a temp folder.</summary>
internal sealed class DriftServer : IAsyncDisposable
{
    private readonly TempDirectory? _ownedArchive;
    private bool _stopped;

    private DriftServer(WebApplication app, string archiveDirectory, TempDirectory? ownedArchive, IReadOnlyDictionary<string, string?> settings)
    {
        App = app;
        ArchiveDirectory = archiveDirectory;
        Settings = settings;
        _ownedArchive = ownedArchive;
        var listeners = app.Services.GetRequiredService<DriftListeners>();
        GrpcPort = listeners.GrpcPort;
        RestPort = listeners.RestPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{RestPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    public int GrpcPort { get; }

    public int RestPort { get; }

    /// <summary>The address a worker's <c>Serving:Worker:PredictionLogs:Endpoint</c> takes.</summary>
    public string Endpoint => $"http://127.0.0.1:{GrpcPort}";

    public string ArchiveDirectory { get; }

    public HttpClient Http { get; }

    public DriftMonitor Monitor => App.Services.GetRequiredService<DriftMonitor>();

    public AlertPublisher Alerts => App.Services.GetRequiredService<AlertPublisher>();

    public ArchiveWriter Archive => App.Services.GetRequiredService<ArchiveWriter>();

    public VersionMonitor Version(string model, string version) =>
        Monitor.Find(model, version) ?? throw new InvalidOperationException($"{model}/{version} is not watched");

    /// <summary>Starts a monitor; <paramref name="settings"/> override keys (e.g. <c>Serving:Drift:Window:Capacity</c>).</summary>
    public static async Task<DriftServer> StartAsync(
        IDictionary<string, string?>? settings = null, int grpcPort = 0, string? archiveDirectory = null, Action<OpenTelemetry.Trace.TracerProviderBuilder>? tracing = null)
    {
        var owned = archiveDirectory is null ? new TempDirectory() : null;
        var archive = archiveDirectory ?? owned!.Path;
        var config = new Dictionary<string, string?>
        {
            ["Serving:Drift:ModelRepository"] = RepoPaths.Models,
            ["Serving:Drift:BindAddress"] = "127.0.0.1",
            ["Serving:Drift:GrpcPort"] = grpcPort.ToString(CultureInfo.InvariantCulture),
            ["Serving:Drift:RestPort"] = "0",
            ["Serving:Drift:Archive:Directory"] = archive,
            ["Serving:Shutdown:ReadinessGracePeriod"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var app = DriftHost.Build([], config, tracing);
        await app.StartAsync().ConfigureAwait(false);
        return new DriftServer(app, archive, owned, config);
    }

    /// <summary>Archived lines, files in name (= time) order.</summary>
    public IReadOnlyList<string> ArchivedLines() => ArchiveFiles().SelectMany(ReadShared).ToArray();

    public string[] ArchiveFiles() =>
        Directory.Exists(ArchiveDirectory) ? [.. Directory.GetFiles(ArchiveDirectory, "*.jsonl").Order(StringComparer.Ordinal)] : [];

    /// <summary>
    /// Makes every archive write fail, as on a full disk: the folder is moved away and a file put in its place, until
    /// the returned handle is disposed. Then the folder is back with its files (the monitor, retrying, may make the
    /// folder itself as soon as the file is gone, so the files are moved into it rather than the old folder renamed over it).
    /// </summary>
    public IDisposable BlockArchive()
    {
        var folder = ArchiveDirectory;
        var away = folder + ".away";
        Directory.Move(folder, away);
        File.WriteAllText(folder, "a file where the archive folder was");
        return new ArchiveBlock(folder, away);
    }

    /// <summary>Stops the host (listeners closed, streams ended) but keeps the archive folder.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Http.Dispose();
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _ownedArchive?.Dispose();
    }

    // The writer holds the current file open; read it without asking for exclusive access.
    private static IEnumerable<string> ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    private sealed class ArchiveBlock(string folder, string away) : IDisposable
    {
        public void Dispose()
        {
            File.Delete(folder);
            Directory.CreateDirectory(folder);
            foreach (var file in Directory.GetFiles(away))
            {
                File.Move(file, Path.Combine(folder, Path.GetFileName(file)));
            }

            Directory.Delete(away);
        }
    }
}
