using System.Collections.Immutable;

namespace Serving.Worker.Models;

/// <summary>A model in the table: its config (or why it has none, or why it has no version to serve) and its versions.</summary>
internal sealed record ModelEntry(string Name, ModelConfig? Config, string? ConfigError, ImmutableSortedDictionary<long, ModelVersion> Versions)
{
    /// <summary>Size and write time of the config file this entry was built from.</summary>
    public string? ConfigStamp { get; init; }

    /// <summary>
    /// Why a version that serves could not be reloaded from the files now in its folder: the version loaded earlier
    /// keeps serving (READY), and the repository index says so beside it, as it says a refused config.
    /// </summary>
    public ImmutableDictionary<long, string> ReloadFailures { get; init; } = ImmutableDictionary<long, string>.Empty;

    /// <summary>The newest ready version, which a call without a version goes to.</summary>
    public ModelVersion? LatestReady()
    {
        ModelVersion? latest = null;
        foreach (var (_, v) in Versions)
        {
            if (v.State == ModelVersionState.Ready)
            {
                latest = v;
            }
        }

        return latest;
    }
}
