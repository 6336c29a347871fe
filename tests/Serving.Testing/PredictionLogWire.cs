namespace Serving.Testing;

/// <summary>The shape of a PredictionLogBatch (protos/prediction_log.proto) that <see cref="WireMutations"/> needs. Linked into the projects that use it.</summary>
public static class PredictionLogWire
{
    /// <summary>
    /// The nested messages mutations go into, for <see cref="WireMutations.Mutate"/>: a batch's schemas (2) and records (3),
    /// a record's categorical entries (8).
    /// </summary>
    public static bool HoldsMessage(IReadOnlyList<int> path, int field) => path switch
    {
        [] => field is 2 or 3,
        [3] => field == 8,
        _ => false,
    };
}
