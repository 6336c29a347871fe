namespace Serving.Gateway.Routing;

/// <summary>Holds the current <see cref="RoutingTable"/>; readers never lock, discovery swaps whole snapshots.</summary>
internal sealed class RoutingState
{
    private RoutingTable _table = RoutingTable.Empty;

    public RoutingTable Table => Volatile.Read(ref _table);

    public void Publish(RoutingTable table) => Volatile.Write(ref _table, table);
}
