namespace Serving.Gateway.Traffic;

/// <summary>The outcome of a policy change: applied, refused with reasons, a conflict, or the store unreachable.</summary>
internal sealed record PolicyChangeResult(PolicyChangeStatus Status, TrafficPolicy? Policy, IReadOnlyList<string> Errors)
{
    public static PolicyChangeResult Applied(TrafficPolicy policy) => new(PolicyChangeStatus.Applied, policy, []);

    public static PolicyChangeResult Refused(PolicyChangeStatus status, params string[] errors) => new(status, null, errors);
}
