using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Serving.Hosting.Runtime;

/// <summary>
/// Says at start, once per process (<c>serving up</c> runs several hosts), when the GC runs on the 256 KB gen0
/// fallback (<see cref="GcBudget.Advice"/>), and what to set.
/// </summary>
internal sealed partial class GcBudgetNotice(ILogger<GcBudgetNotice> logger) : IHostedService
{
    private static int s_said;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (GcBudget.CurrentAdvice() is { } advice && Interlocked.Exchange(ref s_said, 1) == 0)
        {
            Log.Gen0Fallback(logger, advice);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "{Advice}")]
        public static partial void Gen0Fallback(ILogger logger, string advice);
    }
}
