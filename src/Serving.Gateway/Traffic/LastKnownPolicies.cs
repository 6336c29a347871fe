namespace Serving.Gateway.Traffic;

/// <summary>
/// A copy, in the data directory, of the policies a gateway on a shared store (Redis) last had in force, rewritten
/// whole after each one applies. Read only at start when the store can't be: a gateway restarted while Redis is down
/// then serves what it served before, not the defaults (every model's newest version at 100%, which sent all traffic to
/// a canary). The store's policies replace these once it is read.
/// </summary>
internal sealed class LastKnownPolicies(string directory)
{
    public const string FileName = "traffic-policies.last-known.json";

    private readonly PolicyListFile _file = new(Path.Combine(directory, FileName), noFileWhenEmpty: false);

    public string FilePath => _file.FilePath;

    /// <summary>Writes <paramref name="current"/>'s policies at the time of writing (a later change's write follows), temp file then rename.</summary>
    public Task SaveAsync(TrafficPolicies current, CancellationToken cancellationToken) =>
        _file.SaveAsync(() => current.Current.Values, cancellationToken);

    /// <summary>The policies saved last, and when; none when there is no file.</summary>
    /// <exception cref="System.Text.Json.JsonException">The file is not a list of policies.</exception>
    /// <exception cref="IOException">The file can't be read.</exception>
    public Task<(IReadOnlyList<TrafficPolicy> Policies, DateTime SavedAt)> LoadAsync(CancellationToken cancellationToken) =>
        _file.LoadAsync(static _ => true, cancellationToken);
}
