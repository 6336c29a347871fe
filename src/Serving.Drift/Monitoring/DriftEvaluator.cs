using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Drift.Alerts;
using Serving.Drift.Hosting;
using Serving.Drift.Scoring;

namespace Serving.Drift.Monitoring;

/// <summary>
/// Scores versions' windows when asked — every EveryRecords records of a version (coalesced while
/// one is waiting), and every Interval for every version, at most once per MinInterval per version — then publishes the statistics, keeps the
/// latest report and feeds the version's alert state, raising an alert when it flips.
/// </summary>
/// <remarks>
/// One loop owns every <see cref="Scoring.DriftAlertState"/>, so alerts need no locks; it also retires the versions
/// whose profile left the repository (<see cref="RetireAsync"/>).
/// </remarks>
internal sealed partial class DriftEvaluator(
    DriftMonitor monitor,
    AlertPublisher alerts,
    DriftMetrics metrics,
    IOptions<DriftOptions> options,
    TimeProvider time,
    ILogger<DriftEvaluator> logger) : BackgroundService
{
    private readonly DriftScorer _scorer = new(options.Value.Thresholds);
    private readonly TimeSpan _interval = options.Value.Evaluation.Interval;
    private readonly TimeSpan _minInterval = options.Value.Evaluation.MinInterval;

    // When each version's last evaluation started; touched by the scoring loop only.
    private readonly Dictionary<VersionMonitor, long> _lastStarted = new(ReferenceEqualityComparer.Instance);

    // At most one request per version is waiting (VersionMonitor coalesces), so this rarely fills.
    private readonly Channel<VersionMonitor> _requests = Channel.CreateBounded<VersionMonitor>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private long _evaluations;

    /// <summary>Evaluations done since start.</summary>
    public long Evaluations => Interlocked.Read(ref _evaluations);

    /// <summary>Queues the version for scoring (call after <see cref="VersionMonitor.TryMarkPending"/> returned true); never waits.</summary>
    public void Request(VersionMonitor version)
    {
        if (!_requests.Writer.TryWrite(version))
        {
            version.ClearPending();
            metrics.OnEvaluationSkipped();
        }
    }

    /// <summary>
    /// Hands a version whose profile left the repository (<see cref="DriftMonitor.RemoveGone"/>) to the scoring loop, which
    /// retires it: its gauges are removed and an open alert is closed. Waits while the queue is full.
    /// </summary>
    public ValueTask RetireAsync(VersionMonitor version, CancellationToken cancellationToken) =>
        _requests.Writer.WriteAsync(version, cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ScoreAsync(stoppingToken), TickAsync(stoppingToken));

    private async Task ScoreAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var version in _requests.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                // The request stays pending while it waits, so records arriving meanwhile coalesce into it.
                await SpaceOutAsync(version, stoppingToken).ConfigureAwait(false);
                if (version.IsRemoved)
                {
                    Retire(version);
                    continue;
                }

                _lastStarted[version] = time.GetTimestamp();
                Evaluate(version.TakeSnapshot());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private Task SpaceOutAsync(VersionMonitor version, CancellationToken stoppingToken)
    {
        if (_minInterval <= TimeSpan.Zero || version.IsRemoved || !_lastStarted.TryGetValue(version, out var last))
        {
            return Task.CompletedTask;
        }

        var wait = _minInterval - time.GetElapsedTime(last);
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, stoppingToken) : Task.CompletedTask;
    }

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        if (_interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(_interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var version in monitor.Versions.Where(v => v.RecordsSeen > 0))
                {
                    if (version.TryMarkPending())
                    {
                        Request(version);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private void Evaluate(EvaluationRequest request)
    {
        var version = request.Monitor;
        using var span = DriftSpans.StartRoot("drift evaluation", ActivityKind.Internal);
        try
        {
            var report = _scorer.Score(version.Profile, request.Window);
            span?.SetTag("serving.model", version.Model);
            span?.SetTag("serving.version", version.Version);
            span?.SetTag("serving.drift.window", report.WindowSize);
            span?.SetTag("serving.drift.drifting", report.IsDrifting);
            var transition = version.Alert.Observe(report);
            var number = Interlocked.Increment(ref _evaluations);
            version.Latest = new DriftEvaluation(report, request.AtRecord, version.Alert.IsAlerting, number, time.GetUtcNow());
            metrics.Publish(report);
            metrics.SetAlerting(version.Model, version.Version, version.Alert.IsAlerting);
            if (transition != DriftAlertTransition.None)
            {
                alerts.Raise(DriftAlert.From(report, transition, time.GetUtcNow(), request.AtRecord));
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ArithmeticException)
        {
            // One version's surprise must not stop the others from being scored.
            Log.EvaluationFailed(logger, version.Model, version.Version, e);
        }
    }

    // Here, on the loop that publishes every evaluation and owns the alert states, so no evaluation of the version
    // can publish after its series are gone. Requests already queued for it come here too: retired once.
    private void Retire(VersionMonitor version)
    {
        _lastStarted.Remove(version);
        if (version.Retired)
        {
            return;
        }

        version.Retired = true;
        metrics.RemoveVersion(version.Profile);
        if (version.Alert.IsAlerting)
        {
            alerts.Raise(DriftAlert.Removed(
                version.Model, version.Version, version.Profile.Prediction.Name, time.GetUtcNow(), version.RecordsSeen, version.Latest?.Report.WindowSize ?? 0));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Drift: evaluating {Model} version {Version} failed")]
        public static partial void EvaluationFailed(ILogger logger, string model, string version, Exception exception);
    }
}
