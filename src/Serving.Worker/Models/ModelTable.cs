using System.Collections.Immutable;

namespace Serving.Worker.Models;

/// <summary>An immutable snapshot of every model and version; swapped whole, read without locks.</summary>
internal sealed class ModelTable(ImmutableDictionary<string, ModelEntry> models)
{
    public static readonly ModelTable Empty = new(ImmutableDictionary.Create<string, ModelEntry>(StringComparer.Ordinal));

    public ImmutableDictionary<string, ModelEntry> Models { get; } = models;

    public ModelTable With(ModelEntry entry) => new(Models.SetItem(entry.Name, entry));

    public ModelTable Without(string name) => new(Models.Remove(name));
}
