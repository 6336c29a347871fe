using System.Net.Sockets;
using Serving.Worker.Features;
using StackExchange.Redis;

namespace Serving.Commands;

/// <summary>
/// <c>serving features load</c>'s one line for a Redis that can't be reached or stops a load: what happened, how many
/// rows were written before it, what to do next. StackExchange.Redis's own text is a diagnostic dump with advice for
/// code (abortConnect=false), not for the command's user.
/// </summary>
internal static class LoadErrors
{
    private const string Rerun = "writes are idempotent: run the load again";

    /// <summary>Why the connection at start failed; <paramref name="shown"/> is the connection string without its password.</summary>
    public static string NotConnected(string shown, RedisConnectionException e) =>
        IsAuthentication(e)
            ? $"Redis at {shown} refused the credentials (a wrong password, or one is required): check password= (and user=) in --redis or Serving__Features__Redis"
            : $"cannot reach Redis at {shown} ({Cause(e)}): start redis-server there, or give --redis the host:port of one";

    /// <summary>Why a load stopped part way, with the rows written before it.</summary>
    public static string Stopped(string shown, string layout, FeatureLoadException e)
    {
        var written = $"{e.Written} row(s) were written before it";
        return e.InnerException switch
        {
            RedisServerException s when s.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal) =>
                $"Redis key '{e.Key}' holds a type the {layout} layout can't replace; {written}. Delete the key (redis-cli DEL '{e.Key}') or change features.key_pattern, then {Rerun}",
            var inner when inner is not null && IsAuthentication(inner) =>
                $"Redis at {shown} refused the credentials; {written}. Check password= (and user=) in --redis or Serving__Features__Redis, then {Rerun}",
            RedisServerException s => $"Redis at {shown} refused the write of '{e.Key}' ({s.Message}); {written}. Fix that, then {Rerun}",
            RedisConnectionException c => $"lost the connection to Redis at {shown} ({Cause(c)}); {written}. Once Redis answers, {Rerun}",
            TimeoutException => $"Redis at {shown} stopped answering (a write timed out); {written}. Once Redis answers, {Rerun}",
            var inner => $"Redis at {shown} failed the write of '{e.Key}' ({inner?.Message}); {written}. {Rerun}",
        };
    }

    /// <summary>A load stopped by Ctrl+C or SIGTERM: how far it got.</summary>
    public static string Cancelled(string file, FeatureLoadStoppedException e) =>
        $"cancelled after line {e.Line} of {file}; {e.Written} row(s) were written. {char.ToUpperInvariant(Rerun[0])}{Rerun[1..]} to load the rest";

    private static bool IsAuthentication(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }
                || x.Message.Contains("WRONGPASS", StringComparison.Ordinal) || x.Message.Contains("NOAUTH", StringComparison.Ordinal)
                || x.Message.Contains("authentication", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Cause(RedisConnectionException e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException socket)
            {
                return socket.Message;
            }
        }

        return e.FailureType switch
        {
            ConnectionFailureType.UnableToConnect or ConnectionFailureType.UnableToResolvePhysicalConnection => "no Redis answered there",
            ConnectionFailureType.SocketClosed => "the server closed the connection",
            ConnectionFailureType.SocketFailure => "the connection failed",
            ConnectionFailureType.ConnectionDisposed => "the connection was closed",
            var other => other.ToString(),
        };
    }
}
