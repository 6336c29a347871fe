using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Hosting.Configuration;
using Serving.Worker.Configuration;

namespace Serving.Worker.Features;

/// <summary>
/// Says at start whether the feature store's Redis answers. A worker whose Redis was down, refused the password or had
/// no such host started without a word: the first sign was a warning on each entity-form call. In the background: the
/// start never waits on Redis.
/// </summary>
internal sealed partial class RedisStartupProbe(IServiceProvider services, IOptions<FeatureStoreOptions> options, ILogger<RedisStartupProbe> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(options.Value.Redis))
        {
            return;
        }

        var shown = RedisConnectionString.Redact(options.Value.Redis);
        try
        {
            // The first connect may take several connect timeouts against a Redis that doesn't answer: off the host's start.
            var database = await services.GetRequiredService<RedisConnection>().DatabaseAsync().AsTask().WaitAsync(stoppingToken).ConfigureAwait(false);
            var latency = await database.PingAsync().ConfigureAwait(false);
            Log.Answered(logger, shown, latency.TotalMilliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.NotAnswering(logger, shown, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Feature store: Redis at {Redis} answered in {Milliseconds:F1} ms")]
        public static partial void Answered(ILogger logger, string redis, double milliseconds);

        [LoggerMessage(2, LogLevel.Warning, "Feature store: Redis at {Redis} does not answer ({Reason}); entity-form calls follow each model's on_unavailable (fail_open: defaults, fail_closed: 503) until it does. Check that redis-server runs there and the password")]
        public static partial void NotAnswering(ILogger logger, string redis, string reason);
    }
}
