using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Gateway.Hosting;
using Serving.Gateway.Metrics;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Rollback;

/// <summary>
/// Every <see cref="RollbackOptions.CheckInterval"/>, looks at the window of each version that gets
/// traffic and is not the baseline, in every policy with rollback settings; a version that fails
/// <see cref="RollbackDecision"/> loses its weight to the baseline through
/// <see cref="TrafficPolicyService"/>, like an admin change (validated, stored, published, audited),
/// based on the revision it looked at. A replica that comes second gets a conflict and does nothing;
/// the rolled-back version has weight 0, so the incident fires once.
/// </summary>
internal sealed partial class RollbackMonitor(
    TrafficPolicies policies, RollbackOutcomes outcomes, TrafficPolicyService service, GatewayMetrics metrics,
    IOptions<RollbackOptions> options, TimeProvider time, ILogger<RollbackMonitor> logger) : BackgroundService
{
    /// <summary>Who automatic rollbacks are audited as.</summary>
    public const string Who = "auto-rollback";

    // The revision whose failed rollback was last logged per model: a refusal is logged once, not every second.
    private readonly ConcurrentDictionary<string, long> _reported = new(StringComparer.Ordinal);
    private TaskCompletionSource _checked = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once a whole check has run that began after this call.</summary>
    public async Task NextCheckAsync()
    {
        await Volatile.Read(ref _checked).Task.ConfigureAwait(false);
        await Volatile.Read(ref _checked).Task.ConfigureAwait(false);
    }

    /// <summary>Looks at every window once and rolls back what must be.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var current = policies.Current;
        outcomes.Track(current.Values);
        foreach (var policy in current.Values)
        {
            if (policy.Rollback is not { } settings || outcomes.Find(policy.Model) is not { } windows)
            {
                continue;
            }

            var now = outcomes.Now;
            foreach (var weight in policy.Weights)
            {
                if (weight.Weight > 0 && weight.Version != settings.Baseline
                    && RollbackDecision.Evaluate(settings, windows.Counts(weight.Version, now)) is { } verdict)
                {
                    // One change per model per check: the next check looks at the policy that results.
                    await RollBackAsync(policy, weight.Version, verdict, cancellationToken).ConfigureAwait(false);
                    break;
                }
            }
        }
    }

    /// <summary>Moves <paramref name="version"/>'s weight to the baseline, if <paramref name="seen"/> is still the stored revision.</summary>
    public async Task<PolicyChangeResult> RollBackAsync(TrafficPolicy seen, string version, RollbackVerdict verdict, CancellationToken cancellationToken)
    {
        var baseline = seen.Rollback!.Baseline;
        var counts = verdict.Counts;
        var rollback = new RollbackEvent(time.GetUtcNow(), version, baseline, counts.Requests, counts.Errors, counts.ErrorRate, counts.Slow, verdict.Reason);
        var result = await service.SetAsync(seen.Model, RollbackPlan.For(seen, version), Who, rollback, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case PolicyChangeStatus.Applied:
                _reported.TryRemove(seen.Model, out _);
                metrics.RolledBack(seen.Model, version);
                Log.RolledBack(logger, seen.Model, version, baseline, result.Policy!.Revision, verdict.Reason);
                break;
            case PolicyChangeStatus.Conflict:
                Log.AlreadyChanged(logger, seen.Model, version, seen.Revision);
                break;
            case PolicyChangeStatus.StoreUnavailable when result.Policy is not null:
                // In force here, held until the store answers (TrafficPolicyService says so in the log).
                _reported.TryRemove(seen.Model, out _);
                metrics.RolledBack(seen.Model, version);
                break;
            default:
                if (!_reported.TryGetValue(seen.Model, out var reported) || reported != seen.Revision)
                {
                    _reported[seen.Model] = seen.Revision;
                    Log.Failed(logger, seen.Model, version, verdict.Reason, string.Join("; ", result.Errors));
                }

                break;
        }

        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The windows follow each policy as it is applied: requests routed by a new policy count from the first, where they
        // went uncounted until the next check (a canary given weight lost up to CheckInterval of its requests), and two
        // changes between checks (weight 0 and back) are both seen.
        policies.Applied += OnApplied;
        try
        {
            outcomes.Track(policies.Current.Values);
            using var timer = new PeriodicTimer(options.Value.CheckInterval, time);
            while (await Ticks.NextAsync(timer, stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await CheckAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.CheckFailed(logger, e.Message);
                }

                Interlocked.Exchange(ref _checked, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        finally
        {
            policies.Applied -= OnApplied;
        }
    }

    private void OnApplied(TrafficPolicy policy) => outcomes.Track(policies.Current.Values);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Automatic rollback of {Model} version {Version}: its traffic went to baseline {Baseline} (policy revision {Revision}) because its {Reason}")]
        public static partial void RolledBack(ILogger logger, string model, string version, string baseline, long revision, string reason);

        [LoggerMessage(2, LogLevel.Information, "Automatic rollback of {Model} version {Version} not needed: the policy moved on from revision {Revision} (another gateway or an operator changed it first)")]
        public static partial void AlreadyChanged(ILogger logger, string model, string version, long revision);

        [LoggerMessage(3, LogLevel.Error, "Automatic rollback of {Model} version {Version} ({Reason}) could not apply: {Errors}; retrying every check")]
        public static partial void Failed(ILogger logger, string model, string version, string reason, string errors);

        [LoggerMessage(4, LogLevel.Warning, "The rollback check failed: {Message}")]
        public static partial void CheckFailed(ILogger logger, string message);
    }
}
