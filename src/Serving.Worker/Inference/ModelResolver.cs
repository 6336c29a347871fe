using Serving.Protocol.Errors;
using Serving.Worker.Models;

namespace Serving.Worker.Inference;

/// <summary>Turns a (name, version) from a request into a model entry or version, with the protocol's errors.</summary>
internal sealed class ModelResolver(ModelRepository repository)
{
    public ModelEntry Entry(string name)
    {
        if (!ModelNames.IsValidName(name))
        {
            throw InferenceException.Invalid("model name is not valid: names are 1-128 characters of letters, digits, '_', '.' and '-', starting with a letter or digit");
        }

        return repository.Table.Models.TryGetValue(name, out var entry)
            ? entry
            : throw InferenceException.NotFound($"unknown model '{name}'");
    }

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

    /// <summary>A lease on a ready version; 503 when it is loading, failed or unloading.</summary>
    public ResolvedVersion Acquire(string name, string? version)
    {
        var found = Version(name, version);
        if (found.State != ModelVersionState.Ready || !found.TryAcquire())
        {
            var why = found.State switch
            {
                ModelVersionState.Loading => "is loading",
                ModelVersionState.Unavailable => "failed to load: " + found.Reason,
                _ => "is being unloaded",
            };
            throw InferenceException.Unavailable($"model '{name}' version {found.VersionText} {why}");
        }

        return new ResolvedVersion(found);
    }

    private static string Printable(string text) => text.Length > 32 || text.Any(char.IsControl) ? "(invalid)" : text;
}
