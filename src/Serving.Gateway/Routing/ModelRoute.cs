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

    /// <summary>
    /// <c>model 'm' has no ready version{what}</c>, and what the workers said of the versions they list but do not serve
    /// (<c>(version 1: UNAVAILABLE: …; version 2: LOADING)</c>, the newest first, at most <see cref="MaxReasons"/>).
    /// </summary>
    public string NoReadyVersionMessage(string what)
    {
        var message = $"model '{Name}' has no ready version{what}";
        var reasons = Enumerable.Reverse(Ordered).Where(v => v.NotServedBecause is not null).Take(MaxReasons + 1).ToList();
        if (reasons.Count == 0)
        {
            return message;
        }

        var listed = string.Join("; ", reasons.Take(MaxReasons).Select(v => $"version {v.Version}: {v.NotServedBecause}"));
        return reasons.Count > MaxReasons ? $"{message} ({listed}; …)" : $"{message} ({listed})";
    }

    /// <summary>The most versions whose reasons <see cref="NoReadyVersionMessage"/> gives.</summary>
    internal const int MaxReasons = 3;

    public bool TryGetVersion(ReadOnlySpan<char> version, out VersionRoute route) => _lookup.TryGetValue(version, out route!);
}
