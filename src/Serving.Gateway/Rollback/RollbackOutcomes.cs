using System.Collections.Frozen;
using Serving.Gateway.Routing;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Rollback;

/// <summary>
/// What the gateway saw of each version it routed by policy, for models whose policy has rollback
/// settings. The hot path does two frozen-dictionary lookups and a few Interlocked increments; the
/// monitor lays the windows out again (<see cref="Track"/>) as policies are applied.
/// </summary>
internal sealed class RollbackOutcomes(TimeProvider time)
{
    private readonly Lock _track = new();
    private FrozenDictionary<string, ModelOutcomes> _models = FrozenDictionary<string, ModelOutcomes>.Empty;

    /// <summary>The current whole second of the monotonic clock the windows count in.</summary>
    public long Now => time.GetTimestamp() / time.TimestampFrequency;

    /// <summary>
    /// Counts the outcome of a request routed by policy to <paramref name="version"/>; <paramref name="seconds"/> is its
    /// latency, <paramref name="callerBudget"/> what the caller's own deadline left it when that deadline is what ended
    /// it; <paramref name="routedBy"/> the revision of the policy that routed it (a request routed before its version came
    /// back from weight 0 is not counted in its new window). True when such an expiry was excused: the budget was shorter
    /// than the baseline needs (<see cref="ModelOutcomes.Need"/>).
    /// </summary>
    public bool Record(string model, string version, RequestOutcome outcome, double seconds, TimeSpan? callerBudget = null, long routedBy = long.MaxValue) =>
        outcome != RequestOutcome.Ignored && Volatile.Read(ref _models).TryGetValue(model, out var outcomes)
        && outcomes.Record(version, outcome, seconds, Now, callerBudget, routedBy);

    /// <summary>Counts a request the policy sent to a version with no healthy worker (refused before forwarding) as failed.</summary>
    public void RecordUnready(string model, VersionChoice choice, TrafficPolicy? policy)
    {
        if (choice.Unready is { } version && policy?.Rollback is not null && choice.Arm is Arms.Weight or Arms.Sticky)
        {
            _ = Record(model, version, RequestOutcome.Failed, 0, routedBy: policy.Revision);
        }
    }

    /// <summary>The windows of <paramref name="model"/>, or null when it is not tracked.</summary>
    public ModelOutcomes? Find(string model) => Volatile.Read(ref _models).GetValueOrDefault(model);

    /// <summary>The version's counts over its window now (zero when not tracked).</summary>
    public OutcomeCounts Counts(string model, string version) => Find(model)?.Counts(version, Now) ?? default;

    /// <summary>
    /// Lays out windows for the policies with rollback settings; models whose policy is unchanged
    /// keep theirs. Called by the monitor as each policy is applied (so a change is counted from its
    /// first request, and each change is seen) and at every check; one call at a time.
    /// </summary>
    public void Track(IEnumerable<TrafficPolicy> policies)
    {
        lock (_track)
        {
            TrackLocked(policies);
        }
    }

    private void TrackLocked(IEnumerable<TrafficPolicy> policies)
    {
        var current = Volatile.Read(ref _models);
        var next = new Dictionary<string, ModelOutcomes>(StringComparer.Ordinal);
        var changed = false;
        foreach (var policy in policies)
        {
            if (policy.Rollback is not { } settings)
            {
                continue;
            }

            current.TryGetValue(policy.Model, out var previous);
            if (previous is not null && ReferenceEquals(previous.Policy, policy))
            {
                next[policy.Model] = previous;
                continue;
            }

            next[policy.Model] = ModelOutcomes.For(policy, settings, previous);
            changed = true;
        }

        if (changed || next.Count != current.Count)
        {
            Volatile.Write(ref _models, next.ToFrozenDictionary(StringComparer.Ordinal));
        }
    }
}
