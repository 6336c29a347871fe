using System.Net;
using System.Net.Http;

namespace Serving.LoadTests.Targets;

/// <summary>The socket handlers the generator uses: no proxy, cookies, redirects or decompression in the way.</summary>
internal static class HttpHandlers
{
    /// <summary>For one gRPC channel: HTTP/2 connections never recycled mid-run, more opened if Kestrel's stream limit binds.</summary>
    public static SocketsHttpHandler ForGrpc() => new()
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
    };

    /// <summary>For REST over HTTP/1.1: one connection per concurrent caller.</summary>
    public static SocketsHttpHandler ForRest(int maxConnections) => new()
    {
        MaxConnectionsPerServer = Math.Max(1, maxConnections),
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
    };

    /// <summary>For one-off metadata calls.</summary>
    public static SocketsHttpHandler ForMetadata() => new() { UseProxy = false, UseCookies = false, AllowAutoRedirect = false };
}
