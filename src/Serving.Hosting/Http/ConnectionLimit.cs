using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serving.Hosting.Http;

/// <summary>
/// How many connections each of a role's listeners holds at once. Past it a new connection is accepted and closed at
/// once, so idle or abusive clients cannot take the file descriptors the process needs for its threads, model files and
/// outgoing calls: without a limit, a worker or gateway that ran out of them aborted ("Out of memory.") when the
/// runtime could not start a thread. Each listener has its own budget (Kestrel's MaxConcurrentConnections is one for all
/// of them), so a flood of REST connections leaves the metrics port answering.
/// </summary>
public static partial class ConnectionLimit
{
    private static readonly long LogEvery = Stopwatch.Frequency * 60;

    /// <summary>
    /// The per-listener limit for a configured value: itself when above zero; for 0,
    /// <see cref="FromOpenFileLimit"/> of this process's open-file limit and the descriptors it has open now; null (no
    /// limit) when the open-file limit can't be read.
    /// </summary>
    public static long? Resolve(long configured, int listeners) =>
        configured > 0 ? configured : FromOpenFileLimit(OpenFileLimit(), listeners, OpenFiles());

    /// <summary>
    /// The open-file limit less a reserve for everything else, shared by <paramref name="listeners"/>, at least 16 each;
    /// null for no or an unlimited open-file limit. The reserve is a quarter of the limit, or twice what is open already
    /// (<paramref name="openNow"/>: the runtime holds a descriptor or two for each assembly, a worker ~250 at start) and
    /// 256 more, whichever is larger: room for what opens later, and for connections a flood brings faster than the
    /// limit closes them.
    /// </summary>
    public static long? FromOpenFileLimit(long? openFiles, int listeners, long openNow)
    {
        if (openFiles is not { } limit || limit <= 0 || limit >= int.MaxValue)
        {
            return null;
        }

        var forConnections = limit - Math.Max(limit / 4, (2 * openNow) + 256);
        return Math.Max(16, forConnections / Math.Max(1, listeners));
    }

    /// <summary>How many descriptors this process has open (Linux: <c>/proc/self/fd</c>); 0 when unknown.</summary>
    public static long OpenFiles()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>The logger the listeners' limits log to.</summary>
    public static ILogger Logger(IServiceProvider services) =>
        services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionLimit).FullName!);

    /// <summary>
    /// Holds at most <paramref name="limit"/> connections on this listener at once (none when null); past it a new one is
    /// closed on arrival and logged (at most once a minute, with how many since the last line).
    /// </summary>
    public static ListenOptions UseConnectionLimit(this ListenOptions listen, long? limit, string role, string listener, ILogger logger)
    {
        if (limit is not { } max)
        {
            return listen;
        }

        long open = 0;
        long refusedSinceLog = 0;
        long loggedAt = Stopwatch.GetTimestamp() - LogEvery;
        listen.Use(next => async connection =>
        {
            if (Interlocked.Increment(ref open) > max)
            {
                Interlocked.Decrement(ref open);
                var refused = Interlocked.Increment(ref refusedSinceLog);
                var last = Volatile.Read(ref loggedAt);
                var now = Stopwatch.GetTimestamp();
                if (now - last >= LogEvery && Interlocked.CompareExchange(ref loggedAt, now, last) == last)
                {
                    Interlocked.Add(ref refusedSinceLog, -refused);
                    Log.Full(logger, role, listener, max, refused, $"Serving:{char.ToUpperInvariant(role[0])}{role[1..]}:MaxConnections");
                }

                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }

            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref open);
            }
        });
        return listen;
    }

    /// <summary>This process's soft limit on open files (Linux: <c>/proc/self/limits</c>); null when unknown or unlimited.</summary>
    public static long? OpenFileLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                // "Max open files            20000                20000                files"
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var soft = line["Max open files".Length..].TrimStart().Split(' ', 2)[0];
                    return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or /proc is not mounted: no limit is set, as before.
        }

        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The {Role}'s {Listener} listener holds its limit of {Limit} connections: {Count} new connection(s) closed on arrival since the last such line. Raise {Key} (and the open-file limit), or find the client holding them")]
        public static partial void Full(ILogger logger, string role, string listener, long limit, long count, string key);
    }
}
