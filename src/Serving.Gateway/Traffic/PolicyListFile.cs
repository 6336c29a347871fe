using System.Text.Json;

namespace Serving.Gateway.Traffic;

/// <summary>
/// A list of policies kept in one JSON file in the data directory, rewritten whole (temporary file and rename) by one
/// writer at a time, in model order: what <see cref="LastKnownPolicies"/> and <see cref="HeldRollbackFile"/> keep.
/// </summary>
/// <param name="path">The file.</param>
/// <param name="noFileWhenEmpty">An empty list deletes the file instead of writing one.</param>
internal sealed class PolicyListFile(string path, bool noFileWhenEmpty)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string FilePath => path;

    /// <summary>Writes the policies <paramref name="policies"/> gives at the time of writing (a later change's write follows).</summary>
    public async Task SaveAsync(Func<IEnumerable<TrafficPolicy>> policies, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var documents = policies().OrderBy(p => p.Model, StringComparer.Ordinal).Select(TrafficPolicyDocument.From).ToList();
            if (documents.Count == 0 && noFileWhenEmpty)
            {
                File.Delete(path);
                return;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await TempFile.WriteAndRenameAsync(
                path + ".tmp", path, JsonSerializer.SerializeToUtf8Bytes(documents, TrafficJsonContext.Default.ListTrafficPolicyDocument), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The policies written last that <paramref name="keep"/> takes, and when they were written; none when there is no file.</summary>
    /// <exception cref="JsonException">The file is not a list of policies.</exception>
    /// <exception cref="IOException">The file can't be read.</exception>
    public async Task<(IReadOnlyList<TrafficPolicy> Policies, DateTime SavedAt)> LoadAsync(Func<TrafficPolicyDocument, bool> keep, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return ([], default);
        }

        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            var documents = await JsonSerializer.DeserializeAsync(stream, TrafficJsonContext.Default.ListTrafficPolicyDocument, cancellationToken).ConfigureAwait(false) ?? [];
            return ([.. documents.Where(d => d.Model is not null && keep(d)).Select(d => d.ToPolicy())], File.GetLastWriteTimeUtc(path));
        }
    }
}
