namespace Serving.Gateway.Traffic;

/// <summary>One audited change: who made it, when, why (automatic changes), and the policy before and after.</summary>
internal sealed class PolicyChangeDocument
{
    public string? Model { get; set; }

    public string? Who { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Why the gateway changed it on its own (an automatic rollback); null for changes through the admin API.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; set; }

    public TrafficPolicyDocument? Old { get; set; }

    public TrafficPolicyDocument? New { get; set; }
}
