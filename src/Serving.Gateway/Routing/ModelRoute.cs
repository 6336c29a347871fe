using System.Collections.Frozen;

namespace Serving.Gateway.Routing;

/// <summary>A model the gateway knows of: every version any worker reported, in any state.</summary>
internal sealed class ModelRoute
{
    private readonly FrozenDictionary<string, VersionRoute>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public ModelRoute(string name, IEnumerable<VersionRoute> versions)
    {
        Name = name;
        Versions = versions.ToFrozenDictionary(v => v.Version, StringComparer.Ordinal);
        Ordered = [.. Versions.Values.OrderBy(v => v.Number)];
        _lookup = Versions.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }

    public FrozenDictionary<string, VersionRoute> Versions { get; }

    /// <summary>The versions, lowest number first.</summary>
    public VersionRoute[] Ordered { get; }

    /// <summary>The highest version that has a healthy worker, or null.</summary>
    public VersionRoute? LatestReady
    {
        get
        {
            for (var i = Ordered.Length - 1; i >= 0; i--)
            {
                if (Ordered[i].IsReady)
                {
                    return Ordered[i];
                }
            }

            return null;
        }
    }

    public bool TryGetVersion(ReadOnlySpan<char> version, out VersionRoute route) => _lookup.TryGetValue(version, out route!);
}
