using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Serving.Hosting.Tracing;

/// <summary>
/// Once the role has stopped, shuts the tracer provider down: its exporter sends the spans it still holds, and the stop
/// waits for that up to <see cref="TracingOptions.ExportFlushTimeout"/>. The provider's disposal does the same but waits
/// 5 s and no more, and then the process exits: a collector slower than that lost the last spans, those of the requests
/// served just before the stop.
/// (A force flush would not do: it returns once the exporter has taken the spans, before they are sent.)
/// The provider is looked up at the stop, not taken in the constructor: the host makes its hosted services before it
/// validates the options, and a start refused there (a bad setting) left a provider built for nothing, which the CLI does
/// not dispose (the process exits), whose process-wide listeners then recorded the spans of every other host in the
/// process (the tests' in-process CLI: GatewayTracingTests failed beside StartupErrorTests).
/// </summary>
internal sealed partial class TracingShutdownService(
    IServiceProvider services, IOptions<TracingOptions> options, ILogger<TracingShutdownService> logger) : IHostedLifecycleService
{
    // A host may be stopped twice (StopAsync, then disposal): a provider shuts down once, and its second Shutdown answers
    // false, which read as spans not sent.
    private int _shutDown;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.ExportFlushTimeout;
        if (timeout <= TimeSpan.Zero || services.GetService<TracerProvider>() is not { } provider || Interlocked.Exchange(ref _shutDown, 1) == 1)
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
