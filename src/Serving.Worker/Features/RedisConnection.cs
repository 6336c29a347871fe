using System.Diagnostics;
using Microsoft.Extensions.Options;
using Serving.Worker.Configuration;
using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>
/// The process's one multiplexer. Connects in the background and keeps reconnecting on its own,
/// so a Redis that is down at start or later never blocks the worker.
/// </summary>
/// <remarks>
/// The first connect runs on its own task: StackExchange.Redis's <c>Connect</c> to a Redis that accepts the connection
/// but never answers (stopped, or a network that drops its packets) blocked for three connect timeouts, 15 s by
/// default, and the versions' warm-up waited that long before the worker could report ready.
/// </remarks>
internal sealed class RedisConnection : IDisposable
{
    /// <summary>The most the versions' warm-up waits for the first connect, all versions together: the connect timeout, at most this.</summary>
    public static readonly TimeSpan MaxWarmUpWait = TimeSpan.FromSeconds(5);

    private readonly Task<ConnectionMultiplexer> _connecting;
    private readonly long _warmUpUntil;

    public RedisConnection(IOptions<FeatureStoreOptions> options)
    {
        var configuration = ConfigurationOptions.Parse(options.Value.Redis ?? throw new InvalidOperationException("no Redis connection string"));
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Math.Max(configuration.ConnectTimeout, 1000);
        configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);

        // While the connection is down a command fails at once instead of waiting in a backlog for the
        // reconnect: a Redis known to be gone costs no timeout, and the breaker counts fast failures.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        var warmUpWait = TimeSpan.FromMilliseconds(Math.Min(configuration.ConnectTimeout, MaxWarmUpWait.TotalMilliseconds));
        _warmUpUntil = Stopwatch.GetTimestamp() + (long)(warmUpWait.TotalSeconds * Stopwatch.Frequency);
        _connecting = Task.Run(() => ConnectionMultiplexer.ConnectAsync(configuration));
    }

    /// <summary>The multiplexer once the first connect is done (it then reconnects on its own); null while it is under way.</summary>
    public ConnectionMultiplexer? Multiplexer => _connecting.IsCompletedSuccessfully ? _connecting.Result : null;

    /// <summary>The database, after the first connect (awaited while under way: callers bound the wait).</summary>
    public ValueTask<IDatabase> DatabaseAsync() =>
        _connecting.IsCompletedSuccessfully ? new ValueTask<IDatabase>(_connecting.Result.GetDatabase()) : ConnectedDatabaseAsync();

    /// <summary>
    /// Waits for the first connect while the versions load, up to the connect timeout (at most <see cref="MaxWarmUpWait"/>) from this connection's start:
    /// the multiplexer, or null when Redis has not answered by then (the start goes on without it).
    /// </summary>
    public ConnectionMultiplexer? WaitForWarmUp()
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _warmUpUntil);
        if (left > TimeSpan.Zero)
        {
            try
            {
                _connecting.Wait(left);
            }
            catch (AggregateException)
            {
                // A connect that failed outright: lookups fail fast with its error, and the breaker answers.
            }
        }

        return Multiplexer;
    }

    private async ValueTask<IDatabase> ConnectedDatabaseAsync() => (await _connecting.ConfigureAwait(false)).GetDatabase();

    public void Dispose()
    {
        if (_connecting.IsCompletedSuccessfully)
        {
            Close(_connecting.Result);
        }
        else
        {
            // Still connecting: close the multiplexer when the connect ends.
            _connecting.ContinueWith(static t => Close(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    // Not the default close, which sends QUIT and waits for its answer up to the sync timeout: a Redis that doesn't answer
    // held the worker's stop that long (a minute with syncTimeout=60000). Lookups only read, so nothing owed is lost.
    private static void Close(ConnectionMultiplexer multiplexer)
    {
        multiplexer.Close(allowCommandsToComplete: false);
        multiplexer.Dispose();
    }
}
