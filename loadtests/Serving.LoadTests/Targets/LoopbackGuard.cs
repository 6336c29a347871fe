using System.Net;

namespace Serving.LoadTests.Targets;

/// <summary>Accepts only targets on this machine: the generator must never put load on someone else's server.</summary>
internal static class LoopbackGuard
{
    /// <summary>Parses <paramref name="target"/> and throws unless it is <c>http://</c> on 127.0.0.0/8, localhost or ::1.</summary>
    public static Uri Parse(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw LoadTestException.Usage($"--target '{target}' must be an absolute http:// URL (HTTP/1.1 or h2c), e.g. http://127.0.0.1:8080");
        }

        if (!IsLoopback(uri))
        {
            throw LoadTestException.Usage($"--target host '{uri.Host}' is not a loopback address: only 127.0.0.0/8, localhost and ::1 are allowed");
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            throw LoadTestException.Usage($"--target '{target}' must be a server root without a path, e.g. http://127.0.0.1:8080");
        }

        return uri;
    }

    /// <summary>True for localhost and loopback IP literals; host names other than localhost are refused (they could resolve anywhere).</summary>
    public static bool IsLoopback(Uri uri)
    {
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!IPAddress.TryParse(uri.DnsSafeHost, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPAddress.IsLoopback(address);
    }
}
