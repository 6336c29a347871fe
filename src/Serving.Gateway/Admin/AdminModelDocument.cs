using Serving.Gateway.Traffic;

namespace Serving.Gateway.Admin;

/// <summary>One model in the admin list.</summary>
internal sealed class AdminModelDocument
{
    public string Name { get; set; } = "";

    public bool Ready { get; set; }

    public List<AdminVersionDocument> Versions { get; set; } = [];

    public TrafficPolicyDocument Policy { get; set; } = new();

    /// <summary>Shadow copies by result (agree, disagree, shadow_error, timeout, ...).</summary>
    public Dictionary<string, long> Shadow { get; set; } = [];
}
