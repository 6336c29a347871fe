using System.Text.Json.Serialization;

namespace Serving.Gateway.Traffic;

/// <summary>A traffic policy as JSON, in the admin API and in the stores (snake_case keys; an unknown key is an error, not a silent typo).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class TrafficPolicyDocument
{
    public string? Model { get; set; }

    /// <summary>Version → percent; the percents add up to 100.</summary>
    public Dictionary<string, int>? Weights { get; set; }

    public string? StickyHeader { get; set; }

    public string? PinHeader { get; set; }

    public ShadowDocument? Shadow { get; set; }

    /// <summary>Automatic rollback settings; null for none.</summary>
    public RollbackDocument? Rollback { get; set; }

    /// <summary>In answers: the most recent automatic rollback (null for none). Ignored in a PUT, like the other answer-only keys.</summary>
    public RollbackEventDocument? LastRollback { get; set; }

    /// <summary>In a PUT: the revision the change is based on (optional; a mismatch is 409). Elsewhere: the policy's revision.</summary>
    public long? Revision { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }

    /// <summary>In answers: <c>policy</c> for a stored policy, <c>default</c> when none is set (the newest ready version takes everything).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Source { get; set; }

    public static TrafficPolicyDocument From(TrafficPolicy policy) => new()
    {
        Model = policy.Model,
        Weights = policy.Weights.ToDictionary(w => w.Version, w => w.Weight),
        StickyHeader = policy.StickyHeader,
        PinHeader = policy.PinHeader,
        Shadow = policy.Shadow is { } s ? new ShadowDocument { Version = s.Version, Percent = s.Percent } : null,
        Rollback = policy.Rollback is { } r ? RollbackDocument.From(r) : null,
        LastRollback = policy.LastRollback is { } e ? RollbackEventDocument.From(e) : null,
        Revision = policy.Revision,
        UpdatedAt = policy.UpdatedAt,
        UpdatedBy = policy.UpdatedBy,
    };

    /// <summary>A stored document back into a policy (stores hold validated policies only).</summary>
    public TrafficPolicy ToPolicy() => new(
        Model ?? throw new InvalidDataException("a stored policy has no model"),
        (Weights ?? []).Select(kv => new VersionWeight(kv.Key, kv.Value)),
        StickyHeader,
        PinHeader,
        Shadow is { Version: { } v } s ? new ShadowPolicy(v, s.Percent) : null,
        Revision ?? 0,
        UpdatedAt ?? DateTimeOffset.UnixEpoch,
        UpdatedBy ?? "",
        Rollback?.ToPolicy(),
        LastRollback?.ToEvent());
}
