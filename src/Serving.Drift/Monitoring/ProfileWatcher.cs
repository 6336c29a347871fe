using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;

namespace Serving.Drift.Monitoring;

/// <summary>
/// Every <see cref="DriftOptions.ProfileRetryInterval"/> (every second when it is zero), stops watching the versions
/// whose <c>reference.json</c> has left the repository and hands them to the evaluator to retire.
/// </summary>
/// <remarks>
/// A removed version (<c>mv models/tabular/1 elsewhere</c>: the worker unloads it) must not keep its gauges, its
/// evaluations and an open alert for ever. Polled rather than watched: file events are unreliable on network and
/// container volumes, and the worker polls its repository the same way.
/// </remarks>
internal sealed class ProfileWatcher(DriftMonitor monitor, DriftEvaluator evaluator, IOptions<DriftOptions> options, TimeProvider time) : BackgroundService
{
    private readonly TimeSpan _interval = options.Value.ProfileRetryInterval > TimeSpan.Zero ? options.Value.ProfileRetryInterval : TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var version in monitor.RemoveGone())
                {
                    await evaluator.RetireAsync(version, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
