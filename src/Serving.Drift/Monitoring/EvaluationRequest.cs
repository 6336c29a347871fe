using Serving.Drift.Windows;

namespace Serving.Drift.Monitoring;

/// <summary>A window snapshot to score, taken when the version had seen <paramref name="AtRecord"/> records.</summary>
internal sealed record EvaluationRequest(VersionMonitor Monitor, DriftWindowSnapshot Window, long AtRecord);
