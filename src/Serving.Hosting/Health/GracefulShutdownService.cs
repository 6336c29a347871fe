using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serving.Hosting.Health;

/// <summary>
/// Turns readiness false at the first sign of shutdown, then waits the grace period before the
/// server stops listening, and then says the drain has begun (<see cref="ReadinessState.Draining"/>) and
/// waits for the long-lived streams to end themselves (and, when some ended so, <see cref="ShutdownOptions.StreamEndLinger"/>
/// more, so their peers read their last frames before connections close); the host's shutdown timeout (the drain timeout)
/// bounds the rest.
/// </summary>
internal sealed partial class GracefulShutdownService(
    ReadinessState readiness, IOptions<ShutdownOptions> options, ILogger<GracefulShutdownService> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        readiness.MarkStopping();
        var grace = options.Value.ReadinessGracePeriod;
        Log.Stopping(logger, grace.TotalMilliseconds, options.Value.DrainTimeout.TotalSeconds);
        if (grace > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(grace, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The host's own timeout ended the grace period early.
            }
        }

        // Long-lived streams end now, while the listeners are still open, so their last answers and status reach their
        // callers before connections close.
        readiness.MarkDraining();
        try
        {
            await readiness.LongCallsEndedAsync(cancellationToken).ConfigureAwait(false);
            if (readiness.LongCallEndedWhileDraining && options.Value.StreamEndLinger > TimeSpan.Zero)
            {
                // Their status is written; the peers read it while the connections are still up.
                await Task.Delay(options.Value.StreamEndLinger, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The host's own timeout: what is left is cut with the rest.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Shutting down: readiness is false; waiting {GraceMs} ms before closing listeners, then up to {DrainSeconds} s for in-flight requests")]
        public static partial void Stopping(ILogger logger, double graceMs, double drainSeconds);
    }
}
