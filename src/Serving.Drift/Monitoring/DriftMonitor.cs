using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;

namespace Serving.Drift.Monitoring;

/// <summary>
/// The versions under watch (one <see cref="VersionMonitor"/> per version with a reference profile),
/// and the monitor's own tallies: received, archived, rejected and unknown-version records.
/// </summary>
internal sealed class DriftMonitor(ReferenceProfileCatalog catalog, IOptions<DriftOptions> options, TimeProvider time)
{
    // Names come from the wire: tally at most this many distinct unknown versions by name.
    private const int MaxUnknownVersions = 1000;

    private readonly ConcurrentDictionary<(string Model, string Version), VersionMonitor> _versions = new();
    private readonly ConcurrentDictionary<(string Model, string Version), long> _unknown = new();
    private readonly DriftOptions _options = options.Value;
    private long _received;
    private long _archived;
    private long _rejected;
    private long _unknownRecords;

    public long Received => Interlocked.Read(ref _received);

    public long Archived => Interlocked.Read(ref _archived);

    public long Rejected => Interlocked.Read(ref _rejected);

    public long UnknownVersionRecords => Interlocked.Read(ref _unknownRecords);

    public IEnumerable<VersionMonitor> Versions => _versions.Values.OrderBy(v => v.Model, StringComparer.Ordinal).ThenBy(v => v.Version, StringComparer.Ordinal);

    public IEnumerable<KeyValuePair<(string Model, string Version), long>> UnknownVersions => _unknown.OrderBy(u => u.Key);

    /// <summary>Starts watching every version whose profile loaded at start.</summary>
    public void WatchLoaded()
    {
        foreach (var profile in catalog.Loaded)
        {
            _versions.GetOrAdd((profile.Model, profile.Version), _ => Create(profile));
        }
    }

    /// <summary>The version's monitor, or null when it has no reference profile (unknown version).</summary>
    public VersionMonitor? Find(string model, string version)
    {
        if (_versions.TryGetValue((model, version), out var monitor))
        {
            return monitor;
        }

        var profile = catalog.Find(model, version);
        if (profile is null)
        {
            return null;
        }

        // Watched (again): no longer an unknown version's, though its earlier records stay in the unknown total.
        var watched = _versions.GetOrAdd((model, version), _ => Create(profile));
        _unknown.TryRemove((model, version), out _);
        return watched;
    }

    /// <summary>
    /// Stops watching the versions whose profile has left the repository (each is marked removed) and returns them; a
    /// later record of one is an unknown version's, until its profile is back.
    /// </summary>
    public IReadOnlyList<VersionMonitor> RemoveGone()
    {
        var removed = new List<VersionMonitor>();
        foreach (var (key, version) in _versions)
        {
            if (catalog.ForgetIfGone(key.Model, key.Version) && _versions.TryRemove(new KeyValuePair<(string, string), VersionMonitor>(key, version)))
            {
                version.MarkRemoved();
                removed.Add(version);
            }
        }

        return removed;
    }

    public void CountReceived(int records) => Interlocked.Add(ref _received, records);

    public void CountArchived(int records) => Interlocked.Add(ref _archived, records);

    public void CountRejected(int records) => Interlocked.Add(ref _rejected, records);

    /// <summary>Tallies records of a version without a profile; true the first time that version is seen.</summary>
    public bool CountUnknown(string model, string version, int records)
    {
        Interlocked.Add(ref _unknownRecords, records);
        var key = (model, version);
        if (_unknown.ContainsKey(key) || _unknown.Count < MaxUnknownVersions)
        {
            var total = _unknown.AddOrUpdate(key, records, (_, n) => n + records);
            return total == records;
        }

        return false;
    }

    private VersionMonitor Create(Profiles.ReferenceProfile profile) =>
        new(profile, _options.Window, _options.Evaluation.EveryRecords, _options.Alerts.ConsecutiveVerdicts, time);
}
