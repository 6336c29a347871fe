namespace Serving.Gateway.Traffic;

/// <summary>
/// The outcome of a policy change: applied, refused with reasons, a conflict, or the store unreachable. An applied
/// change whose audit entry could not be written carries why (<see cref="AuditError"/>): the change is in force, its
/// history line is missing.
/// </summary>
internal sealed record PolicyChangeResult(PolicyChangeStatus Status, TrafficPolicy? Policy, IReadOnlyList<string> Errors, string? AuditError = null)
{
    public static PolicyChangeResult Applied(TrafficPolicy policy, string? auditError = null) => new(PolicyChangeStatus.Applied, policy, [], auditError);

    public static PolicyChangeResult Refused(PolicyChangeStatus status, params string[] errors) => new(status, null, errors);
}
