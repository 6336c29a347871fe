using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Gateway.Configuration;

namespace Serving.Gateway.Hosting;

/// <summary>
/// Says at start whether the admin API is on, and where (the port it bound, once the server listens: port 0
/// in configuration is a free port); without a token it stays off, and says so.
/// </summary>
internal sealed partial class AdminAnnouncement(
    IOptions<GatewayOptions> options, GatewayListeners listeners, IHostApplicationLifetime lifetime, ILogger<AdminAnnouncement> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (string.IsNullOrEmpty(o.AdminToken))
        {
            Log.Off(logger);
        }
        else
        {
            lifetime.ApplicationStarted.Register(() => Log.On(logger, o.AdminBindAddress, listeners.AdminPort));
        }

        if (!string.IsNullOrWhiteSpace(o.RedisConnectionString))
        {
            Log.Redis(logger);
        }
        else
        {
            Log.File(logger, Path.GetFullPath(o.DataDirectory));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The admin API is off: set Serving:Gateway:AdminToken (at least 16 characters) to turn it on")]
        public static partial void Off(ILogger logger);

        [LoggerMessage(2, LogLevel.Information, "The admin API listens on {Address}:{Port} and requires the bearer token")]
        public static partial void On(ILogger logger, string address, int port);

        [LoggerMessage(3, LogLevel.Information, "Traffic policies are kept in Redis and shared with the other gateways")]
        public static partial void Redis(ILogger logger);

        [LoggerMessage(4, LogLevel.Information, "Traffic policies are kept in {Directory}")]
        public static partial void File(ILogger logger, string directory);
    }
}
