using Serving.Protocol.Errors;
using Serving.Worker.Models;

namespace Serving.Worker.Inference;

/// <summary>Turns a (name, version) from a request into a model entry or version, with the protocol's errors.</summary>
internal sealed class ModelResolver(ModelRepository repository)
{
    // Lookups again after a table published meanwhile; a version reloaded this often is not being served anyway.
    private const int MaxLookups = 4;

    public ModelEntry Entry(string name)
    {
        if (!ModelNames.IsValidName(name))
        {
            throw InferenceException.Invalid("model name is not valid: names are 1-128 characters of letters, digits, '_', '.' and '-', starting with a letter or digit");
        }

        var table = repository.Table;
        return table.Models.TryGetValue(name, out var entry) ? entry
            : table.Unloaded.ContainsKey(name) ? throw InferenceException.NotFound($"model '{name}' is unloaded: load it with POST /v2/repository/models/{name}/load")
            : throw InferenceException.NotFound($"unknown model '{name}'");
    }

    /// <summary>
    /// The <c>model</c> label of a request counted before a version was chosen: the name of a model the repository has,
    /// else <see cref="Metrics.WorkerMetrics.InvalidModel"/> or <see cref="Metrics.WorkerMetrics.UnknownModel"/>, so callers
    /// can't add series with names of their own.
    /// </summary>
    public string MetricLabel(string name)
    {
        var table = repository.Table;
        return table.Models.ContainsKey(name) || table.Unloaded.ContainsKey(name) ? name
            : ModelNames.IsValidName(name) ? Metrics.WorkerMetrics.UnknownModel
            : Metrics.WorkerMetrics.InvalidModel;
    }

    /// <summary>Whether the model was unloaded on request (it is in the repository, not ready: Triton's ModelReady answers false).</summary>
    public bool IsUnloaded(string name) => repository.Table.Unloaded.ContainsKey(name);

    /// <summary>
    /// Throws what <see cref="Entry"/> (no <paramref name="version"/>) or <see cref="Version"/> would for a model or
    /// version that isn't here; for one that is, a dictionary lookup or two (it is checked again when the call runs).
    /// </summary>
    public void EnsureKnown(string name, string version)
    {
        if (repository.Table.Models.TryGetValue(name, out var entry)
            && (version.Length == 0 || (ModelNames.TryParseVersion(version, out var number) && entry.Versions.ContainsKey(number))))
        {
            return;
        }

        if (version.Length == 0)
        {
            Entry(name);
        }
        else
        {
            Version(name, version);
        }
    }

    /// <summary>The version asked for (or the newest ready one), whatever its state.</summary>
    public ModelVersion Version(string name, string? version)
    {
        var entry = Entry(name);
        if (string.IsNullOrEmpty(version))
        {
            return entry.LatestReady()
                ?? entry.Versions.Values.LastOrDefault()
                ?? throw InferenceException.Unavailable($"model '{name}' has no loaded version{(entry.ConfigError is null ? "" : ": " + entry.ConfigError)}");
        }

        return ModelNames.TryParseVersion(version, out var number) && entry.Versions.TryGetValue(number, out var found)
            ? found
            : throw InferenceException.NotFound($"model '{name}' has no version '{Printable(version)}'");
    }

    /// <summary>
    /// A lease on a ready version; 503 when it is loading, failed or unloading. A reload that replaced the version between
    /// the lookup and the lease (it publishes the new table, then retires the old instance) is looked up again, so a
    /// reload refuses no request: it did, rarely ("is being unloaded").
    /// </summary>
    public ResolvedVersion Acquire(string name, string? version)
    {
        for (var attempt = 0; ; attempt++)
        {
            var table = repository.Table;
            var found = Version(name, version);
            if (found.State == ModelVersionState.Ready && found.TryAcquire())
            {
                return new ResolvedVersion(found);
            }

            if (attempt < MaxLookups && !ReferenceEquals(table, repository.Table))
            {
                continue;
            }

            throw NotReady(found);
        }
    }

    /// <summary>503 / UNAVAILABLE saying why <paramref name="found"/> can't serve: loading, failed to load (why), or unloading.</summary>
    public static InferenceException NotReady(ModelVersion found)
    {
        var why = found.State switch
        {
            ModelVersionState.Loading => "is loading",
            ModelVersionState.Unavailable => "failed to load: " + found.ReasonAfterName,
            _ => "is being unloaded",
        };
        return InferenceException.Unavailable($"model '{found.Model}' version {found.VersionText} {why}");
    }

    private static string Printable(string text) => text.Length > 32 || text.Any(char.IsControl) ? "(invalid)" : text;
}
