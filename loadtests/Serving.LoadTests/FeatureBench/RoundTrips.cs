namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// Redis round trips per batch: the feature reads the server counted (<c>INFO commandstats</c>) divided by the
/// batches the worker executed (its <c>/metrics</c>), over the same interval.
/// </summary>
/// <param name="StoreCalls">Round trips: script calls (EVAL/EVALSHA/FCALL…), else MGETs, else plain read commands.</param>
/// <param name="KeysRead">Entities fetched: the hash reads (HMGET…) the server ran, inside scripts or not; for MGET, the keys the worker asked for.</param>
/// <param name="Via"><c>script</c>, <c>mget</c> or <c>plain reads</c>: what the round trips were.</param>
/// <param name="Batches">Batches the worker executed.</param>
/// <param name="BatchesNeedingStore">Batches that had entities the near cache lacked (the worker's store-call counter).</param>
internal sealed record RoundTrips(long StoreCalls, long KeysRead, string Via, long Batches, long BatchesNeedingStore)
{
    /// <summary>The target: at most one round trip per batch.</summary>
    public const double Target = 1.0;

    private static readonly string[] ScriptCommands = ["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"];
    private static readonly string[] MultiKeyReads = ["mget"];
    private static readonly string[] ReadCommands = ["hmget", "hgetall", "hget", "get"];

    /// <summary>Round trips per executed batch; null when no batch ran.</summary>
    public double? PerBatch => Batches > 0 ? (double)StoreCalls / Batches : null;

    /// <summary>Round trips per batch that needed the store; null when none did.</summary>
    public double? PerStoreBatch => BatchesNeedingStore > 0 ? (double)StoreCalls / BatchesNeedingStore : null;

    /// <summary>Entities read per round trip; null without round trips.</summary>
    public double? KeysPerCall => StoreCalls > 0 ? (double)KeysRead / StoreCalls : null;

    /// <summary>True when <see cref="PerBatch"/> is known and at most <see cref="Target"/>, and so is <see cref="PerStoreBatch"/> when any batch called the store.</summary>
    public bool TargetMet => PerBatch is { } perBatch && perBatch <= Target && PerStoreBatch is null or <= Target;

    /// <summary>
    /// The round trips in <paramref name="delta"/> (commands the server ran during the arm). Commands a script
    /// runs are counted by Redis too, so with scripts only the script calls are round trips; an MGET (the packed
    /// layout) is one round trip for all its keys, which Redis doesn't count, so <paramref name="keysFetched"/>
    /// (the worker's near-cache misses) says how many; otherwise every plain read counts as one (an upper bound
    /// if the client pipelined them).
    /// </summary>
    public static RoundTrips From(CommandStats delta, long batches, long batchesNeedingStore, long? keysFetched = null)
    {
        var scripts = delta.Calls(ScriptCommands);
        var mgets = delta.Calls(MultiKeyReads);
        var reads = delta.Calls(ReadCommands);
        return scripts > 0 ? new RoundTrips(scripts, reads, "script", batches, batchesNeedingStore)
            : mgets > 0 ? new RoundTrips(mgets + reads, keysFetched ?? mgets, "mget", batches, batchesNeedingStore)
            : new RoundTrips(reads, reads, "plain reads", batches, batchesNeedingStore);
    }

    /// <summary>The round trips of several arms together (one layout's lookup arms over the rounds); null when none has counters.</summary>
    public static RoundTrips? Sum(IEnumerable<RoundTrips?> arms)
    {
        RoundTrips? total = null;
        foreach (var a in arms)
        {
            if (a is null)
            {
                continue;
            }

            total = total is null ? a : new RoundTrips(
                total.StoreCalls + a.StoreCalls, total.KeysRead + a.KeysRead, total.Via == a.Via ? total.Via : "mixed", total.Batches + a.Batches, total.BatchesNeedingStore + a.BatchesNeedingStore);
        }

        return total;
    }
}
