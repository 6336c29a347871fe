using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Serving.Drift.Monitoring;
using Serving.Drift.Scoring;

namespace Serving.Drift.Alerts;

/// <summary>
/// Raises drift alerts: a log line at once, a bounded in-memory history for the report, and the
/// webhook (delivered in the background, with retries) when one is configured.
/// </summary>
internal sealed partial class AlertPublisher(WebhookSender webhook, DriftMetrics metrics, ILogger<AlertPublisher> logger)
{
    private const int HistorySize = 256;

    private readonly ConcurrentQueue<DriftAlert> _history = new();

    /// <summary>The latest alerts, oldest first.</summary>
    public IReadOnlyList<DriftAlert> History => [.. _history];

    public void Raise(DriftAlert alert)
    {
        if (alert.Transition == DriftAlertTransition.Started)
        {
            Log.Started(logger, alert.Model, alert.Version, alert.DriftingFeatures.Count, alert.DriftingFeatureShare, string.Join(", ", alert.DriftingFeatures), alert.PredictionDrifting, alert.WindowSize, alert.AtRecord);
        }
        else if (alert.Reason == DriftAlertReason.VersionRemoved)
        {
            Log.Removed(logger, alert.Model, alert.Version, alert.AtRecord);
        }
        else
        {
            Log.Stopped(logger, alert.Model, alert.Version, alert.WindowSize, alert.AtRecord);
        }

        metrics.OnAlert(alert.Model, alert.Version, alert.Transition);
        _history.Enqueue(alert);
        while (_history.Count > HistorySize && _history.TryDequeue(out _))
        {
        }

        webhook.Enqueue(alert);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Drift alert: {Model} version {Version} started drifting: {Count} feature(s) drift (share {Share:0.###}): [{Features}]; prediction drifting: {PredictionDrifting}; window {WindowSize} records, at record {AtRecord}")]
        public static partial void Started(ILogger logger, string model, string version, int count, double share, string features, bool predictionDrifting, int windowSize, long atRecord);

        [LoggerMessage(2, LogLevel.Information, "Drift alert: {Model} version {Version} stopped drifting; window {WindowSize} records, at record {AtRecord}")]
        public static partial void Stopped(ILogger logger, string model, string version, int windowSize, long atRecord);

        [LoggerMessage(3, LogLevel.Information, "Drift alert: {Model} version {Version} stopped drifting: its reference profile left the repository (the version was removed); at record {AtRecord}")]
        public static partial void Removed(ILogger logger, string model, string version, long atRecord);
    }
}
