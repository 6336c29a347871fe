using Microsoft.Extensions.Options;
using Serving.Worker.Configuration;
using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>
/// The process's one multiplexer. Connects in the background and keeps reconnecting on its own,
/// so a Redis that is down at start or later never blocks the worker.
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _multiplexer;

    public RedisConnection(IOptions<FeatureStoreOptions> options)
    {
        var configuration = ConfigurationOptions.Parse(options.Value.Redis ?? throw new InvalidOperationException("no Redis connection string"));
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Math.Max(configuration.ConnectTimeout, 1000);
        configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);

        // While the connection is down a command fails at once instead of waiting in a backlog for the
        // reconnect: a Redis known to be gone costs no timeout, and the breaker counts fast failures.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _multiplexer = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(configuration));
    }

    public IDatabase Database => _multiplexer.Value.GetDatabase();

    public ConnectionMultiplexer Multiplexer => _multiplexer.Value;

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }
    }
}
