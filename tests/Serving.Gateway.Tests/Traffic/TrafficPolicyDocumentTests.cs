using System.Text.Json;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Traffic;

public sealed class TrafficPolicyDocumentTests
{
    [Fact]
    public void Rollback_SnakeCaseKeys_RoundTrip_DefaultsFilledIn()
    {
        var document = JsonSerializer.Deserialize(
            """{"weights": {"1": 90, "2": 10}, "rollback": {"baseline": "1", "max_error_rate": 0.05, "max_p99_ms": 250}}""",
            TrafficJsonContext.Default.TrafficPolicyDocument)!;
        document.Model = "m";

        var policy = document.ToPolicy();
        var json = JsonSerializer.Serialize(TrafficPolicyDocument.From(policy), TrafficJsonContext.Default.TrafficPolicyDocument);

        Assert.Equal(new RollbackPolicy("1", 0.05, 250, RollbackPolicy.DefaultMinRequests, RollbackPolicy.DefaultWindowSeconds), policy.Rollback);
        Assert.Contains("\"rollback\":{\"baseline\":\"1\",\"max_error_rate\":0.05,\"max_p99_ms\":250,\"min_requests\":100,\"window_seconds\":60}", json, StringComparison.Ordinal);
        Assert.Contains("\"last_rollback\":null", json, StringComparison.Ordinal);
    }

    [Fact]
    public void LastRollback_Stored_AndReadBack()
    {
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var policy = new TrafficPolicy("m", [new("1", 100), new("2", 0)], null, null, null, 4, at, RollbackMonitorWho,
            new RollbackPolicy("1", 0.05, 0, 100, 60), new RollbackEvent(at, "2", "1", 120, 120, 1.0, 0, "error rate 100%"));

        var json = JsonSerializer.Serialize(TrafficPolicyDocument.From(policy), TrafficJsonContext.Default.TrafficPolicyDocument);
        var back = JsonSerializer.Deserialize(json, TrafficJsonContext.Default.TrafficPolicyDocument)!.ToPolicy();

        Assert.Contains("\"last_rollback\":{\"at\":\"2025-01-02T03:04:05+00:00\",\"version\":\"2\",\"baseline\":\"1\",\"requests\":120,\"errors\":120,\"error_rate\":1,", json, StringComparison.Ordinal);
        Assert.Equal(policy.LastRollback, back.LastRollback);
    }

    [Fact]
    public void Rollback_UnknownKey_Refused()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(
            """{"weights": {"1": 100}, "rollback": {"baseline": "1", "max_eror_rate": 0.05}}""", TrafficJsonContext.Default.TrafficPolicyDocument));
    }

    private const string RollbackMonitorWho = Gateway.Rollback.RollbackMonitor.Who;
}
