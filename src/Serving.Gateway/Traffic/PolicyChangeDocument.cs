namespace Serving.Gateway.Traffic;

/// <summary>One audited change: who made it, when, and the policy before and after.</summary>
internal sealed class PolicyChangeDocument
{
    public string? Model { get; set; }

    public string? Who { get; set; }

    public DateTimeOffset At { get; set; }

    public TrafficPolicyDocument? Old { get; set; }

    public TrafficPolicyDocument? New { get; set; }
}
