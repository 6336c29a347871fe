using Serving.Drift.Scoring;

namespace Serving.Drift.Monitoring;

/// <summary>A version's latest scoring: the report, the record count it was taken at, and the alert state after it.</summary>
internal sealed record DriftEvaluation(DriftReport Report, long AtRecord, bool Alerting, long Number, DateTimeOffset EvaluatedAt);
