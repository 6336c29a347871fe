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

    private readonly PolicyListFile _file = new(Path.Combine(directory, FileName), noFileWhenEmpty: true);

    public string FilePath => _file.FilePath;

    /// <summary>Writes <paramref name="held"/> at the time of writing (a later change's write follows); no file when there is none.</summary>
    public Task SaveAsync(Func<IEnumerable<TrafficPolicy>> held, CancellationToken cancellationToken) => _file.SaveAsync(held, cancellationToken);

    /// <summary>The rollbacks held when the file was written last; none when there is no file.</summary>
    /// <exception cref="System.Text.Json.JsonException">The file is not a list of policies.</exception>
    /// <exception cref="IOException">The file can't be read.</exception>
    public async Task<IReadOnlyList<TrafficPolicy>> LoadAsync(CancellationToken cancellationToken) =>
        (await _file.LoadAsync(static d => d.LastRollback is not null, cancellationToken).ConfigureAwait(false)).Policies;
}
