using Serving.Gateway.Traffic;

namespace Serving.Gateway.Rollback;

/// <summary>The policy a rollback proposes: the failing version's weight moves to the baseline, everything else stays.</summary>
internal static class RollbackPlan
{
    /// <summary>
    /// <paramref name="policy"/> with <paramref name="version"/> at weight 0 and its weight added to the baseline,
    /// based on <paramref name="policy"/>'s revision: if anyone changed the policy since (another replica's
    /// rollback, an operator), the change is a conflict and nothing happens.
    /// </summary>
    public static TrafficPolicyDocument For(TrafficPolicy policy, string version)
    {
        var baseline = policy.Rollback?.Baseline ?? throw new InvalidOperationException($"the policy of '{policy.Model}' has no rollback settings");
        var document = TrafficPolicyDocument.From(policy);
        var weights = document.Weights!;
        var moved = weights.GetValueOrDefault(version);
        weights[version] = 0;
        weights[baseline] = weights.GetValueOrDefault(baseline) + moved;
        document.LastRollback = null;
        document.UpdatedAt = null;
        document.UpdatedBy = null;
        return document;
    }
}
