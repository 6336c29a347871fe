namespace Serving.Worker.Features;

/// <summary>A request in entity form: its ids and their store keys, any request-time columns, and what the lookup did.</summary>
internal sealed class FeatureRequest(string[] ids, string[] keys, double[]?[] requestColumns)
{
    /// <summary>One entity id per row.</summary>
    public string[] Ids { get; } = ids;

    /// <summary>Each row's store key (the model's key pattern with its id), formatted once.</summary>
    public string[] Keys { get; } = keys;

    /// <summary>Per field: the caller's values (one per row), or null when the store provides it.</summary>
    public double[]?[] RequestColumns { get; } = requestColumns;

    /// <summary>Rows that got one or more defaults (missing entity or field, or the store unavailable).</summary>
    public List<int>? DefaultedRows { get; set; }

    /// <summary>True when the store could not be reached and fail_open filled defaults.</summary>
    public bool StoreUnavailable { get; set; }

    /// <summary>Response parameters describing the lookup, or none.</summary>
    public void AddParameters(Dictionary<string, object> parameters)
    {
        if (DefaultedRows is { Count: > 0 } rows)
        {
            parameters["features_defaulted_rows"] = string.Join(',', rows);
        }

        if (StoreUnavailable)
        {
            parameters["features_store_unavailable"] = true;
        }
    }
}
