using System.Text.Json.Serialization;

namespace Serving.Gateway.Traffic;

/// <summary>The <c>rollback</c> part of a policy document (see <see cref="RollbackPolicy"/>); omitted keys take their defaults.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class RollbackDocument
{
    /// <summary>The version that gets the traffic back; it must be one of the policy's weights.</summary>
    public string? Baseline { get; set; }

    /// <summary>Required: the error rate, in (0, 1], that a version must exceed to be rolled back.</summary>
    public double? MaxErrorRate { get; set; }

    /// <summary>0 (the default) leaves latency out; otherwise a p99 above this many milliseconds rolls back too.</summary>
    [JsonPropertyName("max_p99_ms")]
    public int? MaxP99Ms { get; set; }

    public int? MinRequests { get; set; }

    public int? WindowSeconds { get; set; }

    public static RollbackDocument From(RollbackPolicy policy) => new()
    {
        Baseline = policy.Baseline,
        MaxErrorRate = policy.MaxErrorRate,
        MaxP99Ms = policy.MaxP99Ms,
        MinRequests = policy.MinRequests,
        WindowSeconds = policy.WindowSeconds,
    };

    /// <summary>A validated document into settings, defaults filled in.</summary>
    public RollbackPolicy ToPolicy() => new(
        Baseline ?? throw new InvalidDataException("a rollback section has no baseline"),
        MaxErrorRate ?? throw new InvalidDataException("a rollback section has no max_error_rate"),
        MaxP99Ms ?? 0,
        MinRequests ?? RollbackPolicy.DefaultMinRequests,
        WindowSeconds ?? RollbackPolicy.DefaultWindowSeconds);
}
