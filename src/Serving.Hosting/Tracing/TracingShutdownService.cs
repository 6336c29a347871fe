using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Serving.Hosting.Tracing;

/// <summary>
/// Once the role has stopped, shuts the tracer provider down: its exporter sends the spans it still holds, and the stop
/// waits for that up to <see cref="TracingOptions.ExportFlushTimeout"/>. The provider's disposal does the same but waits
/// 5 s and no more, and then the process exits: a collector slower than that (or a first export on a busy machine: a new
/// channel, code not compiled yet) lost the last spans, those of the requests served just before the stop.
/// (A force flush would not do: it returns once the exporter has taken the spans, before they are sent.)
/// </summary>
internal sealed partial class TracingShutdownService(
    TracerProvider provider, IOptions<TracingOptions> options, ILogger<TracingShutdownService> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.ExportFlushTimeout;
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        // Shutdown blocks its thread until the exporter has sent what it held, or the timeout passed; the host's own
        // shutdown timeout (cancellationToken) ends the wait, not the export.
        var shutdown = Task.Run(() => provider.Shutdown((int)timeout.TotalMilliseconds), CancellationToken.None);
        try
        {
            if (!await shutdown.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                Log.NotExported(logger, timeout.TotalSeconds);
            }
        }
        catch (OperationCanceledException)
        {
            Log.NotExported(logger, timeout.TotalSeconds);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Tracing: the exporter did not send its last spans within {Seconds} s of the stop (or the shutdown timeout); they may be lost. Check that the OTLP collector is up and reachable, or raise Serving:Tracing:ExportFlushTimeout")]
        public static partial void NotExported(ILogger logger, double seconds);
    }
}
