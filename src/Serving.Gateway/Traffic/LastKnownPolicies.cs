using System.Text.Json;

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

    private readonly SemaphoreSlim _gate = new(1, 1);

    public string FilePath => Path.Combine(directory, FileName);

    /// <summary>Writes <paramref name="current"/>'s policies at the time of writing (a later change's write follows), temp file then rename.</summary>
    public async Task SaveAsync(TrafficPolicies current, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var documents = current.Current.Values.OrderBy(p => p.Model, StringComparer.Ordinal).Select(TrafficPolicyDocument.From).ToList();
            Directory.CreateDirectory(directory);
            await TempFile.WriteAndRenameAsync(
                FilePath + ".tmp", FilePath, JsonSerializer.SerializeToUtf8Bytes(documents, TrafficJsonContext.Default.ListTrafficPolicyDocument), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The policies saved last, and when; none when there is no file.</summary>
    /// <exception cref="JsonException">The file is not a list of policies.</exception>
    /// <exception cref="IOException">The file can't be read.</exception>
    public async Task<(IReadOnlyList<TrafficPolicy> Policies, DateTime SavedAt)> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(FilePath))
        {
            return ([], default);
        }

        var stream = File.OpenRead(FilePath);
        await using (stream.ConfigureAwait(false))
        {
            var documents = await JsonSerializer.DeserializeAsync(stream, TrafficJsonContext.Default.ListTrafficPolicyDocument, cancellationToken).ConfigureAwait(false) ?? [];
            return ([.. documents.Where(d => d.Model is not null).Select(d => d.ToPolicy())], File.GetLastWriteTimeUtc(FilePath));
        }
    }
}
