using System.Text.Json.Serialization;

namespace Serving.Drift.Alerts;

/// <summary>The JSON body POSTed to the webhook.</summary>
internal sealed record WebhookPayload(
    string Event,
    string Model,
    string Version,
    DateTimeOffset At,
    long AtRecord,
    int WindowSize,
    IReadOnlyList<string> DriftingFeatures,
    double DriftingFeatureShare,
    string Prediction,
    bool PredictionDrifting,
    string Reason)
{
    public static WebhookPayload From(DriftAlert alert) => new(
        alert.Event, alert.Model, alert.Version, alert.At, alert.AtRecord, alert.WindowSize,
        alert.DriftingFeatures, alert.DriftingFeatureShare, alert.Prediction, alert.PredictionDrifting, alert.ReasonName);
}

/// <summary>Source-generated JSON for alert bodies (snake_case).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class AlertJsonContext : JsonSerializerContext;
