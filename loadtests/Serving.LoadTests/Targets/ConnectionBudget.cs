using System.Globalization;

namespace Serving.LoadTests.Targets;

/// <summary>
/// REST (rest-json, rest-binary) is HTTP/1.1: every request in flight holds a connection of its own, so a run's callers
/// (the closed model's --concurrency, the open model's --max-in-flight) are as many sockets, one open file each, and
/// about 36 KB of this process's memory each (the connection's buffers, the caller's state: VmRSS 64 MB at 10 in
/// flight, 206 MB at 4,000, against a worker that could not keep up; 48 KB each while every caller had its own 16 KiB
/// drain buffer). A setting past the process's open-file limit (ulimit -n) cannot run: at --max-in-flight 20000 under
/// ulimit -n 20000 the connections past it failed with "Too many open files" while the rest of the run went on. It is
/// refused before anything is sent. gRPC's requests share HTTP/2 connections and need no such budget.
/// </summary>
internal static class ConnectionBudget
{
    /// <summary>Files this process keeps for itself (the runtime, the console, the metadata call, the epoll and timer handles).</summary>
    public const int Reserved = 256;

    /// <summary>Throws a usage error when <paramref name="callers"/> REST connections cannot fit under <paramref name="openFileLimit"/>.</summary>
    public static void Check(TargetProtocol protocol, int callers, string option, long? openFileLimit)
    {
        if (protocol == TargetProtocol.Grpc || openFileLimit is not { } limit || callers <= limit - Reserved)
        {
            return;
        }

        var most = Math.Max(limit - Reserved, 0);
        throw LoadTestException.Usage(string.Create(
            CultureInfo.InvariantCulture,
            $"{option} {callers} with --protocol {protocol.ToName()} needs {callers} HTTP/1.1 connections, one open file each, and this process may open {limit} "
            + $"(ulimit -n), {Reserved} of them kept for itself: give {option} at most {most}, raise ulimit -n, or use --protocol grpc (its requests share HTTP/2 connections)"));
    }

    /// <summary>This process's open-file limit (the soft RLIMIT_NOFILE, from /proc/self/limits); null when unknown or unlimited.</summary>
    public static long? OpenFileLimit()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                    return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or no /proc: the run finds out the hard way.
        }

        return null;
    }
}
