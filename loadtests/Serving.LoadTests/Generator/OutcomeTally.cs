using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Generator;

/// <summary>Counts failed calls per outcome; after an outcome's first occurrence counting it allocates nothing.</summary>
internal sealed class OutcomeTally
{
    private readonly ConcurrentDictionary<CallOutcome, StrongBox<long>> _counts = new();
    private long _total;

    /// <summary>All failures counted.</summary>
    public long Total => Volatile.Read(ref _total);

    /// <summary>Counts one occurrence.</summary>
    public void Add(CallOutcome outcome)
    {
        if (!_counts.TryGetValue(outcome, out var box))
        {
            box = _counts.GetOrAdd(outcome, static _ => new StrongBox<long>());
        }

        Interlocked.Increment(ref box.Value);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The counts so far, largest first.</summary>
    public IReadOnlyList<(CallOutcome Outcome, long Count)> Snapshot() =>
        _counts.Select(p => (p.Key, Volatile.Read(ref p.Value.Value))).OrderByDescending(p => p.Item2).ToList();
}
