using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Worker.Configuration;
using Serving.Worker.Metrics;
using Serving.Worker.Runtime;

namespace Serving.Worker.Models;

/// <summary>
/// The model repository on disk, mirrored into an immutable <see cref="ModelTable"/>. A sync loads
/// and warms new or changed versions before publishing them, keeps serving versions when a
/// reload fails, and retires removed versions (they finish in-flight requests first).
/// </summary>
internal sealed partial class ModelRepository : IDisposable
{
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly HashSet<string> _unloaded = new(StringComparer.Ordinal);
    // Models sync in parallel (Serving:Worker:ModelLoadThreads): what they note on the way is kept in concurrent maps, and
    // the table is changed under a lock, each sync replacing its own model's entry in the table of that moment.
    private readonly ConcurrentDictionary<string, string> _settlingConfigs = new(StringComparer.Ordinal);
    // What was warned about once (a folder that is no model name, a repository that is a model's folder).
    private readonly ConcurrentDictionary<string, byte> _warned = new(StringComparer.Ordinal);
    // The files (fingerprint) a serving version's reload failed from: not loaded again at every poll until they change.
    private readonly ConcurrentDictionary<(string Model, long Version), string> _failedReloads = new();
    private readonly Lock _publishing = new();
    private bool _disposed; // guarded by _publishing
    private readonly string _root;
    private readonly IModelVersionLoader _loader;
    private readonly int _loadThreads;
    private readonly TimeSpan _loadTimeout;
    private readonly WorkerMetrics _metrics;
    private readonly ILogger<ModelRepository> _logger;
    private ModelTable _table = ModelTable.Empty;

    public ModelRepository(IOptions<WorkerOptions> options, IModelVersionLoader loader, WorkerMetrics metrics, ILogger<ModelRepository> logger)
    {
        _root = Path.GetFullPath(options.Value.ModelRepository);
        _loader = loader;
        _loadThreads = options.Value.ModelLoadThreads;
        _loadTimeout = options.Value.ModelLoadTimeout;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The current snapshot; never null, never locked.</summary>
    public ModelTable Table => Volatile.Read(ref _table);

    /// <summary>Brings the table in line with the disk (all models, or one).</summary>
    public Task SyncAsync(string? onlyModel = null, CancellationToken cancellationToken = default, bool force = false) =>
        SyncAsync(onlyModel, cancellationToken, force, failures: null);

    /// <param name="failures">When given, gets why each model or version this sync loaded failed to (none: all READY).</param>
    private async Task SyncAsync(string? onlyModel, CancellationToken cancellationToken, bool force, List<string>? failures)
    {
        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (ScanModels() is not { } onDisk)
            {
                // The folder itself gone (unmounted, or swapped by two renames) says nothing of any model: what is loaded
                // keeps serving, as Triton's failed poll changes nothing, until the folder is back.
                return;
            }

            ListUnloaded(onDisk);
            var names = onlyModel is null ? onDisk.Keys.Union(Table.Models.Keys).Order(StringComparer.Ordinal).ToArray() : [onlyModel];
            // Models load side by side, as Triton's --model-load-thread-count: one slow model doesn't hold the others back.
            // The body blocks its thread while a version loads (ONNX Runtime's session creation and warm-up are synchronous).
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _loadThreads, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(names, parallel, (name, _) =>
            {
                SyncOne(name, onDisk, force, failures);
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);
        }
        finally
        {
            _sync.Release();
        }
    }

    private void SyncOne(string name, Dictionary<string, string> onDisk, bool force, List<string>? failures)
    {
        if (!onDisk.TryGetValue(name, out var directory) || _unloaded.Contains(name))
        {
            Remove(name);
            return;
        }

        try
        {
            SyncModel(name, directory, force, failures);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One model's surprise must not stop the others from syncing, nor the worker from starting.
            Log.SyncFailed(_logger, name, e);
            var existing = Table.Models.GetValueOrDefault(name) ?? Empty(name);
            var reason = $"model '{name}': the repository entry could not be read ({e.GetType().Name})";
            // A version published LOADING whose load never ended is UNAVAILABLE with the reason, not LOADING for good.
            var versions = existing.Versions;
            foreach (var (number, v) in existing.Versions)
            {
                if (v.State == ModelVersionState.Loading)
                {
                    versions = versions.SetItem(number, ModelVersion.Failed(name, number, reason, v.Fingerprint));
                }
            }

            Publish(t => t.With(existing with { ConfigError = reason, Versions = versions }));
            Fail(failures, reason);
        }
    }

    /// <summary>
    /// Loads (or reloads) a model from the repository: <see cref="ModelLoad.NotFound"/> if it isn't there, else whether
    /// every version it serves is READY from its files now, and why not (a reload that failed keeps the loaded version serving).
    /// </summary>
    public async Task<ModelLoad> LoadAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!ModelNames.IsValidName(name) || !Directory.Exists(Path.Combine(_root, name)))
        {
            return ModelLoad.NotFound;
        }

        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        _unloaded.Remove(name);
        Publish(t => t.Forget(name));
        _sync.Release();
        var failures = new List<string>();
        await SyncAsync(name, cancellationToken, force: true, failures).ConfigureAwait(false);
        if (!Table.Models.ContainsKey(name))
        {
            failures.Add($"model '{name}': its folder holds no model.yaml (or model.yml, model.json) and no <version>/model.onnx");
        }

        return failures.Count == 0 ? ModelLoad.Loaded : new ModelLoad(true, $"failed to load '{name}': {string.Join("; ", failures)}");
    }

    /// <summary>Unloads every version of a model and keeps it unloaded until <see cref="LoadAsync"/>.</summary>
    public async Task<bool> UnloadAsync(string name, CancellationToken cancellationToken = default)
    {
        await _sync.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!Table.Models.ContainsKey(name))
            {
                return false;
            }

            _unloaded.Add(name);
            Remove(name, unloading: true);
            return true;
        }
        finally
        {
            _sync.Release();
        }
    }

    // The model folders by name; null while the repository folder is missing.
    private Dictionary<string, string>? ScanModels()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(_root))
        {
            var what = File.Exists(_root) ? "is a file, not a folder" : "does not exist";
            var loaded = Table.Models.Count;
            if (loaded == 0)
            {
                Log.RepositoryMissing(_logger, _root, what);
            }
            else if (_warned.TryAdd("gone", 0))
            {
                Log.RepositoryGone(_logger, _root, what, loaded);
            }

            return null;
        }

        if (_warned.TryRemove("gone", out _))
        {
            Log.RepositoryBack(_logger, _root);
        }

        foreach (var directory in Directory.EnumerateDirectories(_root))
        {
            var name = Path.GetFileName(directory);
            if (!LooksLikeAModel(directory))
            {
                continue;
            }

            if (ModelNames.IsValidName(name))
            {
                result[name] = directory;
            }
            else if (_warned.TryAdd("name:" + name, 0))
            {
                Log.FolderNameNotAModelName(_logger, name);
            }
        }

        if (result.Count == 0 && LooksLikeAModel(_root) && _warned.TryAdd("root", 0))
        {
            Log.RepositoryIsAModel(_logger, _root, Path.GetDirectoryName(_root) ?? _root);
        }

        return result;
    }

    private static bool LooksLikeAModel(string directory) => ModelConfigLoader.Find(directory) is not null || VersionFolders(directory).Count > 0;

    /// <param name="notVersions">When given, gets the folders that hold a model.onnx but whose name is not a version.</param>
    private static Dictionary<long, string> VersionFolders(string modelDirectory, List<string>? notVersions = null)
    {
        var result = new Dictionary<long, string>();
        foreach (var directory in Directory.EnumerateDirectories(modelDirectory))
        {
            var hasModel = File.Exists(Path.Combine(directory, "model.onnx"));
            if (!ModelNames.TryParseVersion(Path.GetFileName(directory), out var version))
            {
                if (hasModel)
                {
                    notVersions?.Add(Path.GetFileName(directory));
                }
            }
            else if (hasModel)
            {
                result[version] = directory;
            }
        }

        return result;
    }

    private void SyncModel(string name, string directory, bool force, List<string>? failures)
    {
        var configPath = ModelConfigLoader.Find(directory);
        var existing = Table.Models.GetValueOrDefault(name);
        var configStamp = configPath is null ? "none" : Stamp(configPath);
        if (!force && existing is { Versions.IsEmpty: false } && existing.ConfigStamp != configStamp)
        {
            // A config being written is read only once its size and time held still for one poll:
            // a half-written file must not pass for a valid (default) config and unload versions.
            if (!_settlingConfigs.TryGetValue(name, out var seen) || seen != configStamp)
            {
                _settlingConfigs[name] = configStamp;
                return;
            }
        }

        _settlingConfigs.TryRemove(name, out _);
        ModelConfig config;
        try
        {
            config = configPath is null ? new ModelConfig() : ModelConfigLoader.Load(name, configPath);
        }
        catch (Exception e) when (e is ModelConfigException or IOException or UnauthorizedAccessException)
        {
            // A broken config leaves the versions that serve untouched (a failed reload never takes a model down).
            var reason = e is ModelConfigException ? e.Message : $"model '{name}': the config file could not be read";
            if (existing?.ConfigError != reason)
            {
                // Logged once, not at every poll that finds the same config still broken (it is read again each time:
                // a file it names may be fixed meanwhile).
                Log.ConfigFailed(_logger, name, reason);
            }

            Publish(t => t.With((existing ?? Empty(name)) with { ConfigError = reason, ConfigStamp = configStamp }));
            Fail(failures, existing is { Versions.IsEmpty: false } ? reason + " (the loaded versions keep serving)" : reason);
            return;
        }

        var notVersions = new List<string>();
        var folders = VersionFolders(directory, notVersions);
        foreach (var folder in notVersions)
        {
            if (_warned.TryAdd($"version:{name}/{folder}", 0))
            {
                Log.FolderNotAVersion(_logger, name, folder);
            }
        }

        var wanted = VersionPolicy.Select(config.VersionPolicy, folders.Keys.ToArray());
        var entry = (existing ?? Empty(name)) with { Config = config, ConfigError = null, ConfigStamp = configStamp };

        // A version whose folder is gone goes now; one the policy no longer selects (a newer version came, under
        // latest: n) serves until the versions it selects have loaded, as Triton's does: a call that names no version
        // is served throughout the change. It went first, and the calls that came while the newer one loaded were
        // 503 "has no loaded version" / "version 3 is loading".
        RemoveUnwanted(folderGone: true);
        foreach (var version in wanted)
        {
            var modelPath = Path.Combine(folders[version], "model.onnx");
            // The in-memory feature store reads features.csv: a change to it reloads the versions, as the config's does.
            var fingerprint = configStamp + "|" + Stamp(modelPath)
                + (_loader.ReadsFeatureCsv && config.Features?.Csv is { } csv ? "|" + Stamp(Path.Combine(directory, csv)) : "");
            var old = entry.Versions.GetValueOrDefault(version);
            if (old is not null
                && ((old.Fingerprint == fingerprint && (!force || old.State == ModelVersionState.Ready))
                    || (!force && _failedReloads.GetValueOrDefault((name, version)) == fingerprint)))
            {
                // Loaded as it is, or its load or reload from these very files failed already: tried again when they
                // change, or on a load asked for. Files put back as they were loaded end a failed reload's reason.
                if (old.Fingerprint == fingerprint && entry.ReloadFailures.ContainsKey(version))
                {
                    _failedReloads.TryRemove((name, version), out _);
                    entry = entry with { ReloadFailures = entry.ReloadFailures.Remove(version) };
                    Publish(t => t.With(entry));
                }

                continue;
            }

            if (old is null)
            {
                // Visible as LOADING in the index while it loads; not routable until ready.
                entry = entry with { Versions = entry.Versions.SetItem(version, ModelVersion.Loading(name, version, fingerprint)) };
                Publish(t => t.With(entry));
            }

            var loaded = LoadWithin(name, version, modelPath, config, fingerprint);
            if (loaded.State != ModelVersionState.Ready && old is { State: ModelVersionState.Ready })
            {
                Log.ReloadFailedKeptOld(_logger, name, version, loaded.Reason ?? "unknown");
                _failedReloads[(name, version)] = fingerprint;
                var kept = (loaded.Reason ?? $"model '{name}' version {version}: {loaded.State}") + " (the loaded version keeps serving)";
                Fail(failures, kept);
                entry = entry with { ReloadFailures = entry.ReloadFailures.SetItem(version, kept) };
                Publish(t => t.With(entry));
                continue;
            }

            if (loaded.State != ModelVersionState.Ready)
            {
                Fail(failures, loaded.Reason ?? $"model '{name}' version {version}: {loaded.State}");
            }

            _failedReloads.TryRemove((name, version), out _);

            entry = entry with { Versions = entry.Versions.SetItem(version, loaded), ReloadFailures = entry.ReloadFailures.Remove(version) };
            Publish(t => t.With(entry));

            // The replaced instance goes; the version (and its state series) stays.
            old?.Retire();
        }

        RemoveUnwanted(folderGone: false);

        if (entry.Versions.IsEmpty)
        {
            // Listed with why it serves nothing (as Triton's index lists a model that failed to load), said once.
            var reason = folders.Count == 0
                ? $"model '{name}': no version folder holds a model.onnx (the layout is {name}/<version>/model.onnx, the version a positive whole number)"
                : $"model '{name}': version_policy selects none of the versions in its folder ({string.Join(", ", folders.Keys.Order())})";
            if (existing?.ConfigError != reason)
            {
                Log.NoVersionToServe(_logger, name, reason);
            }

            Publish(t => t.With(entry with { ConfigError = reason }));
            Fail(failures, reason);
        }

        void RemoveUnwanted(bool folderGone)
        {
            // A failed load never takes a model down: while none of the versions the policy selects now is ready (a newer
            // version's model.onnx still being copied when the poll saw it, or broken), those it selected before serve on.
            var standIn = !folderGone && wanted.Count > 0 && !wanted.Any(v => entry.Versions.GetValueOrDefault(v)?.State == ModelVersionState.Ready);
            foreach (var (version, old) in entry.Versions)
            {
                if (!wanted.Contains(version) && folderGone != folders.ContainsKey(version) && !(standIn && old.State == ModelVersionState.Ready))
                {
                    entry = entry with { Versions = entry.Versions.Remove(version), ReloadFailures = entry.ReloadFailures.Remove(version) };
                    Publish(t => t.With(entry));
                    Retire(old);
                    Log.VersionRemoved(_logger, name, version, folderGone ? "its folder is gone" : "the version policy no longer selects it");
                }
            }
        }
    }

    // A load that does not end (a model file on a file system that stopped answering, a warm-up that never returns) must
    // not hold the sync, and with it every later poll, for good: past ModelLoadTimeout the version is UNAVAILABLE saying so
    // (a reload keeps the loaded version serving). The load runs on, on its own thread: if it ends READY while that very
    // placeholder is still listed, it is served then; else what it made is disposed, and the version is tried again when
    // its files change or on a load asked for.
    private ModelVersion LoadWithin(string name, long version, string modelPath, ModelConfig config, string fingerprint)
    {
        var load = Task.Factory.StartNew(
            () => _loader.Load(name, version, modelPath, config, fingerprint), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (((IAsyncResult)load).AsyncWaitHandle.WaitOne(_loadTimeout))
        {
            return load.GetAwaiter().GetResult();
        }

        var after = _loadTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        Log.LoadTimedOut(_logger, name, version, after);
        var placeholder = ModelVersion.Failed(
            name,
            version,
            $"model '{name}' version {version}: loading did not finish within {after} (Serving:Worker:ModelLoadTimeout): is model.onnx, or a file the model reads, "
                + "on a file system that stopped answering? It is served if that load ends; else tried again when its files change, or on a load asked for",
            fingerprint);
        _ = ServeIfLateAsync(load, placeholder);
        return placeholder;
    }

    private async Task ServeIfLateAsync(Task<ModelVersion> load, ModelVersion placeholder)
    {
        ModelVersion late;
        try
        {
            late = await load.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The loader never throws; were it to, the placeholder stays and says why.
            Log.SyncFailed(_logger, placeholder.Model, e);
            return;
        }

        // After the sync that listed the placeholder (and any other) has ended: nothing else changes the table meanwhile.
        // Once the worker has stopped, what it publishes is retired at once (Publish).
        await _sync.WaitAsync().ConfigureAwait(false);

        try
        {
            var served = false;
            if (late.State == ModelVersionState.Ready)
            {
                Publish(t =>
                {
                    if (t.Models.TryGetValue(placeholder.Model, out var entry)
                        && entry.Versions.TryGetValue(placeholder.Version, out var listed) && ReferenceEquals(listed, placeholder))
                    {
                        served = true;
                        return t.With(entry with { Versions = entry.Versions.SetItem(placeholder.Version, late) });
                    }

                    return t;
                });
            }

            if (!served)
            {
                late.Retire();
            }

            Log.LateLoadEnded(_logger, placeholder.Model, placeholder.Version, served ? "it serves now" : $"{late.State}, not served: what it made is disposed");
        }
        finally
        {
            _sync.Release();
        }
    }

    // Unloading remembers the versions the model served, for the repository index.
    private void Remove(string name, bool unloading = false)
    {
        if (Table.Models.TryGetValue(name, out var entry))
        {
            Publish(t => unloading ? t.Unload(name, [.. entry.Versions.Values.Select(v => v.VersionText)]) : t.Without(name));
            foreach (var (_, version) in entry.Versions)
            {
                Retire(version);
            }

            Log.ModelRemoved(_logger, name);
        }
    }

    // The index lists an unloaded model while its folder is in the repository (without versions if it came back after
    // going away), as Triton's does; one whose folder went is forgotten there, but stays unloaded until loaded.
    private void ListUnloaded(Dictionary<string, string> onDisk) => Publish(table =>
    {
        foreach (var name in _unloaded)
        {
            var listed = table.Unloaded.ContainsKey(name);
            if (listed && !onDisk.ContainsKey(name))
            {
                table = table.Forget(name);
            }
            else if (!listed && onDisk.ContainsKey(name) && !table.Models.ContainsKey(name))
            {
                table = table.Unload(name, []);
            }
        }

        return table;
    });

    private void Retire(ModelVersion version)
    {
        _metrics.SetVersionState(version.Model, version.VersionText, null);
        version.Retire();
    }

    // The change is made to the table of this moment, and the state series set from it, under one lock: a model's sync
    // replaces its own entry without losing another's, and no older table's states are written after a newer one's.
    private void Publish(Func<ModelTable, ModelTable> change)
    {
        lock (_publishing)
        {
            var table = change(Table);
            if (ReferenceEquals(table, _table))
            {
                return;
            }

            Volatile.Write(ref _table, table);
            foreach (var (_, entry) in table.Models)
            {
                foreach (var (_, version) in entry.Versions)
                {
                    if (_disposed)
                    {
                        version.Retire(); // a load that outlived the worker's stop: what it made goes at once
                    }
                    else
                    {
                        _metrics.SetVersionState(version.Model, version.VersionText, version.State);
                    }
                }
            }
        }
    }

    private static void Fail(List<string>? failures, string reason)
    {
        if (failures is not null)
        {
            lock (failures)
            {
                failures.Add(reason);
            }
        }
    }

    private static ModelEntry Empty(string name) =>
        new(name, null, null, ImmutableSortedDictionary<long, ModelVersion>.Empty);

    private static string Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "missing";
    }

    // The host disposes the repository once its shutdown timeout has passed, maybe while a load runs (a big model, a file
    // system that stopped answering): the sync is left to end on its own, and whatever it publishes then is retired.
    // _sync is not disposed (it has no wait handle): its release at the sync's end threw ObjectDisposedException, and
    // the version that load made was published into a table no one disposed any more.
    public void Dispose()
    {
        lock (_publishing)
        {
            _disposed = true;
            foreach (var (_, entry) in Table.Models)
            {
                foreach (var (_, version) in entry.Versions)
                {
                    version.Retire();
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Model repository {Root} {What}; no models are served (give --models the folder that holds <model>/<version>/model.onnx)")]
        public static partial void RepositoryMissing(ILogger logger, string root, string what);

        [LoggerMessage(10, LogLevel.Warning, "Model repository {Root} {What}: the {Models} models loaded keep serving as they are until it is back (polled)")]
        public static partial void RepositoryGone(ILogger logger, string root, string what, int models);

        [LoggerMessage(11, LogLevel.Information, "Model repository {Root} is back; syncing the models with it")]
        public static partial void RepositoryBack(ILogger logger, string root);

        [LoggerMessage(12, LogLevel.Warning, "Model {Model}: folder '{Folder}' holds a model.onnx but is skipped: a version folder's name is a positive whole number without leading zeros (rename it, e.g. to 3)")]
        public static partial void FolderNotAVersion(ILogger logger, string model, string folder);

        [LoggerMessage(6, LogLevel.Warning, "Model folder '{Folder}' is skipped: a model name is 1-128 letters, digits, '_', '.' and '-', starting with a letter or digit (rename the folder)")]
        public static partial void FolderNameNotAModelName(ILogger logger, string folder);

        [LoggerMessage(7, LogLevel.Warning, "Model repository {Root} is one model's folder (it holds a model.yaml or <version>/model.onnx); no models are served: give --models its parent, {Parent}")]
        public static partial void RepositoryIsAModel(ILogger logger, string root, string parent);

        [LoggerMessage(2, LogLevel.Error, "Model {Model}: configuration rejected: {Reason}")]
        public static partial void ConfigFailed(ILogger logger, string model, string reason);

        [LoggerMessage(3, LogLevel.Error, "Model {Model} version {Version}: reload failed ({Reason}); the loaded version keeps serving")]
        public static partial void ReloadFailedKeptOld(ILogger logger, string model, long version, string reason);

        [LoggerMessage(9, LogLevel.Warning, "Model {Model} has no version to serve: {Reason}")]
        public static partial void NoVersionToServe(ILogger logger, string model, string reason);

        [LoggerMessage(5, LogLevel.Error, "Model {Model}: repository sync failed")]
        public static partial void SyncFailed(ILogger logger, string model, Exception exception);

        [LoggerMessage(4, LogLevel.Information, "Model {Model} unloaded")]
        public static partial void ModelRemoved(ILogger logger, string model);

        [LoggerMessage(8, LogLevel.Information, "Model {Model} version {Version} unloaded: {Why}")]
        public static partial void VersionRemoved(ILogger logger, string model, long version, string why);

        [LoggerMessage(13, LogLevel.Error, "Model {Model} version {Version}: loading did not finish within {Timeout}; the version is unavailable and the repository sync goes on without it (the load runs on, and what it makes is disposed)")]
        public static partial void LoadTimedOut(ILogger logger, string model, long version, string timeout);

        [LoggerMessage(14, LogLevel.Warning, "Model {Model} version {Version}: a load that had timed out ended: {Outcome}")]
        public static partial void LateLoadEnded(ILogger logger, string model, long version, string outcome);
    }
}
