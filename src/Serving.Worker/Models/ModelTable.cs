using System.Collections.Immutable;

namespace Serving.Worker.Models;

/// <summary>
/// An immutable snapshot of every model and version, and of the models unloaded on request (with the versions they had,
/// so the repository index still lists them as Triton does); swapped whole, read without locks.
/// </summary>
internal sealed class ModelTable(ImmutableDictionary<string, ModelEntry> models, ImmutableDictionary<string, ImmutableArray<string>> unloaded)
{
    public static readonly ModelTable Empty = new(
        ImmutableDictionary.Create<string, ModelEntry>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ImmutableArray<string>>(StringComparer.Ordinal));

    public ImmutableDictionary<string, ModelEntry> Models { get; } = models;

    /// <summary>Models unloaded on request and still in the repository folder, with the versions they served.</summary>
    public ImmutableDictionary<string, ImmutableArray<string>> Unloaded { get; } = unloaded;

    public ModelTable With(ModelEntry entry) => new(Models.SetItem(entry.Name, entry), Unloaded.Remove(entry.Name));

    public ModelTable Without(string name) => new(Models.Remove(name), Unloaded);

    /// <summary>The model gone from serving, remembered as unloaded with <paramref name="versions"/>.</summary>
    public ModelTable Unload(string name, ImmutableArray<string> versions) => new(Models.Remove(name), Unloaded.SetItem(name, versions));

    /// <summary>The model no longer remembered as unloaded (loaded again, or gone from the repository folder).</summary>
    public ModelTable Forget(string name) => Unloaded.ContainsKey(name) ? new(Models, Unloaded.Remove(name)) : this;
}
