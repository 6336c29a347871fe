using System.Collections.Frozen;
using Serving.Gateway.Discovery;

namespace Serving.Gateway.Routing;

/// <summary>An immutable snapshot of which worker serves which model version; discovery builds a new one and swaps it in.</summary>
internal sealed class RoutingTable
{
    private readonly FrozenDictionary<string, ModelRoute>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public RoutingTable(IEnumerable<ModelRoute> models, IReadOnlyList<WorkerEndpoint> workers, bool discovered)
    {
        Models = models.ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);
        Workers = workers;
        Discovered = discovered;
        _lookup = Models.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The table before the first discovery round: nothing to route to.</summary>
    public static RoutingTable Empty { get; } = new([], [], discovered: false);

    public FrozenDictionary<string, ModelRoute> Models { get; }

    /// <summary>Every worker currently configured (or resolved).</summary>
    public IReadOnlyList<WorkerEndpoint> Workers { get; }

    /// <summary>False until the first discovery round has finished.</summary>
    public bool Discovered { get; }

    public bool TryGetModel(ReadOnlySpan<char> name, out ModelRoute route) => _lookup.TryGetValue(name, out route!);

    /// <summary>True when some version of some model has a healthy worker.</summary>
    public bool AnyReady => Models.Values.Any(m => m.LatestReady is not null);
}
