using StackExchange.Redis;

namespace Serving.Worker.Features;

/// <summary>
/// Which failed store calls say the store itself is down or slow, the only ones the shared circuit breaker counts.
/// </summary>
/// <remarks>
/// Every model on a Redis shares one breaker, so a failure that belongs to one model's keys must not open it: a key
/// pattern outside the Redis user's ACL key patterns (NOPERM), a script error, a reply that doesn't parse. Before, those
/// opened the breaker for every model, and the others' lookups skipped a Redis that was answering (fail_open served
/// their defaults, fail_closed refused them).
/// </remarks>
internal static class StoreFailures
{
    /// <summary>
    /// True when <paramref name="failure"/> says the store is unavailable: the connection is gone or failed, the call
    /// timed out, or the server answered that it can serve nobody now (loading its data, stuck in a script, a replica
    /// cut off from its primary, a cluster that is down or resharding, out of memory: EVAL of a script without flags is
    /// refused then, too many clients). False for an error of the call's own.
    /// </summary>
    public static bool IsUnavailable(Exception failure) => failure switch
    {
        RedisServerException server => server.Kind is RedisErrorKind.Loading or RedisErrorKind.Busy or RedisErrorKind.MasterDown
            or RedisErrorKind.TryAgain or RedisErrorKind.ClusterDown or RedisErrorKind.OutOfMemory or RedisErrorKind.MaxClients
            or RedisErrorKind.ConnectionFault or RedisErrorKind.Timeout,
        RedisConnectionException or TimeoutException or ObjectDisposedException => true,
        RedisCommandException => false, // refused by the client before it was sent: the command's own
        RedisException => true, // the client's other failures (the connection's state): not the model's
        _ => false, // a reply the store could not read for this model (InvalidDataException, InvalidCastException, ...)
    };
}
