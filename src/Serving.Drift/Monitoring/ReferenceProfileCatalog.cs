using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;
using Serving.Drift.Ingest;
using Serving.Drift.Profiles;

namespace Serving.Drift.Monitoring;

/// <summary>
/// The reference profiles of the model repository (<c>&lt;model&gt;/&lt;version&gt;/reference.json</c>): all
/// of them are loaded at start, and a version first seen later is looked up then (and again after
/// <see cref="DriftOptions.ProfileRetryInterval"/> while it has no readable profile). A loaded profile whose
/// file has left the repository is forgotten when <see cref="ForgetIfGone"/> finds it gone.
/// </summary>
internal sealed partial class ReferenceProfileCatalog
{
    // Names come from the wire: don't let a stream of made-up versions grow the negative cache without end.
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string Model, string Version), Entry> _entries = new();
    private readonly string _root;
    private readonly TimeSpan _retryInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ReferenceProfileCatalog(IOptions<DriftOptions> options, TimeProvider time, ILogger<ReferenceProfileCatalog> logger)
    {
        _root = Path.GetFullPath(options.Value.ModelRepository);
        _retryInterval = options.Value.ProfileRetryInterval;
        _time = time;
        _logger = logger;
    }

    /// <summary>Every profile loaded so far.</summary>
    public IEnumerable<ReferenceProfile> Loaded => _entries.Values.Select(e => e.Profile).OfType<ReferenceProfile>();

    /// <summary>Loads every profile in the repository; returns how many loaded.</summary>
    public int LoadAll()
    {
        if (!Directory.Exists(_root))
        {
            Log.RepositoryMissing(_logger, _root);
            return 0;
        }

        var loaded = 0;
        foreach (var modelFolder in Directory.EnumerateDirectories(_root))
        {
            var model = Path.GetFileName(modelFolder);
            if (!WireNames.IsModel(model))
            {
                continue;
            }

            foreach (var versionFolder in Directory.EnumerateDirectories(modelFolder))
            {
                var version = Path.GetFileName(versionFolder);
                if (WireNames.IsVersion(version) && File.Exists(Path.Combine(versionFolder, "reference.json")) && Find(model, version) is not null)
                {
                    loaded++;
                }
            }
        }

        return loaded;
    }

    /// <summary>The version's profile, or null when it has none (or it is unreadable).</summary>
    public ReferenceProfile? Find(string model, string version)
    {
        var key = (model, version);
        var now = _time.GetUtcNow();
        if (_entries.TryGetValue(key, out var entry) && (entry.Profile is not null || now < entry.RetryAt))
        {
            return entry.Profile;
        }

        entry = Load(model, version, now);
        if (entry.Profile is not null || _entries.Count < MaxEntries)
        {
            _entries[key] = entry;
        }

        return entry.Profile;
    }

    /// <summary>
    /// True when the version's <c>reference.json</c> is no longer in the repository (the version was removed or moved
    /// away); its profile is then forgotten, so the version is unknown until a file is there again.
    /// </summary>
    public bool ForgetIfGone(string model, string version)
    {
        var path = PathOf(model, version);
        if (File.Exists(path))
        {
            return false;
        }

        _entries.TryRemove((model, version), out _);
        Log.Gone(_logger, model, version, path);
        return true;
    }

    private string PathOf(string model, string version) => Path.Combine(_root, model, version, "reference.json");

    private Entry Load(string model, string version, DateTimeOffset now)
    {
        var missing = new Entry(null, now + _retryInterval);
        if (!WireNames.IsModel(model) || !WireNames.IsVersion(version))
        {
            return missing;
        }

        var path = PathOf(model, version);
        if (!File.Exists(path))
        {
            return missing;
        }

        try
        {
            var profile = ReferenceProfileLoader.Load(path);
            if (profile.Model != model || profile.Version != version)
            {
                // Scored, reported and counted under the folder's names: a profile copied from another model must not
                // merge this version's windows and metrics into that model's.
                Log.NamesDiffer(_logger, path, profile.Model, profile.Version, model, version);
                profile = profile.Named(model, version);
            }

            Log.Loaded(_logger, model, version, profile.Features.Count, profile.Prediction.Name);
            return new Entry(profile, DateTimeOffset.MaxValue);
        }
        catch (ReferenceProfileException e)
        {
            // A bad profile leaves its version unscored (its records still archive), not the monitor down.
            Log.Invalid(_logger, model, version, e.Message);
            return missing;
        }
    }

    private sealed record Entry(ReferenceProfile? Profile, DateTimeOffset RetryAt);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Drift: model repository {Root} does not exist; every version is unknown (archived, not scored)")]
        public static partial void RepositoryMissing(ILogger logger, string root);

        [LoggerMessage(2, LogLevel.Information, "Drift: reference profile of {Model} version {Version} loaded ({Features} features, prediction {Prediction})")]
        public static partial void Loaded(ILogger logger, string model, string version, int features, string prediction);

        [LoggerMessage(3, LogLevel.Error, "Drift: reference profile of {Model} version {Version} rejected: {Reason}")]
        public static partial void Invalid(ILogger logger, string model, string version, string reason);

        [LoggerMessage(4, LogLevel.Warning, "Drift: {Path} says {ProfileModel}/{ProfileVersion}; it is used for {Model}/{Version}, the folder it is in")]
        public static partial void NamesDiffer(ILogger logger, string path, string profileModel, string profileVersion, string model, string version);

        [LoggerMessage(5, LogLevel.Information, "Drift: reference profile of {Model} version {Version} is gone ({Path}); the version is no longer watched: its records are archived as an unknown version")]
        public static partial void Gone(ILogger logger, string model, string version, string path);
    }
}
