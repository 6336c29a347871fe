using System.Text.Json;

namespace Serving.Gateway.Traffic;

/// <summary>
/// The automatic rollbacks in force on this gateway that the policy store could not take yet, in the data directory
/// (<c>traffic-rollbacks.held.json</c>): each as the policy in force, whose revision is the stored one it was based
/// on. Rewritten whole (temporary file and rename) when a hold begins or ends, read at start, so a gateway restarted
/// before the store took a rollback keeps it in force and stores it then, instead of giving the canary its traffic back.
/// </summary>
internal sealed class HeldRollbackFile(string directory)
{
    public const string FileName = "traffic-rollbacks.held.json";

    private readonly SemaphoreSlim _gate = new(1, 1);

    public string FilePath => Path.Combine(directory, FileName);

    /// <summary>Writes <paramref name="held"/> at the time of writing (a later change's write follows); no file when there is none.</summary>
    public async Task SaveAsync(Func<IEnumerable<TrafficPolicy>> held, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var documents = held().OrderBy(p => p.Model, StringComparer.Ordinal).Select(TrafficPolicyDocument.From).ToList();
            if (documents.Count == 0)
            {
                File.Delete(FilePath);
                return;
            }

            Directory.CreateDirectory(directory);
            await TempFile.WriteAndRenameAsync(
                FilePath + ".tmp", FilePath, JsonSerializer.SerializeToUtf8Bytes(documents, TrafficJsonContext.Default.ListTrafficPolicyDocument), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The rollbacks held when the file was written last; none when there is no file.</summary>
    /// <exception cref="JsonException">The file is not a list of policies.</exception>
    /// <exception cref="IOException">The file can't be read.</exception>
    public async Task<IReadOnlyList<TrafficPolicy>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(FilePath))
        {
            return [];
        }

        var stream = File.OpenRead(FilePath);
        await using (stream.ConfigureAwait(false))
        {
            var documents = await JsonSerializer.DeserializeAsync(stream, TrafficJsonContext.Default.ListTrafficPolicyDocument, cancellationToken).ConfigureAwait(false) ?? [];
            return [.. documents.Where(d => d.Model is not null && d.LastRollback is not null).Select(d => d.ToPolicy())];
        }
    }
}
