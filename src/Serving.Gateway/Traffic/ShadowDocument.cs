using System.Text.Json.Serialization;

namespace Serving.Gateway.Traffic;

/// <summary>The shadow part of a policy document.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class ShadowDocument
{
    public string? Version { get; set; }

    public int Percent { get; set; }
}
