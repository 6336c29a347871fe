using Serving.LoadTests.GatewayBench;

namespace Serving.LoadTests.Tests.GatewayBench;

/// <summary>The real nginx these tests start; test.sh installs Debian's package when it is missing.</summary>
internal static class InstalledNginx
{
    private static readonly string? Found = NginxBinary.Find(null, Environment.GetEnvironmentVariable("PATH"));

    /// <summary>The nginx found on PATH or in the sbin folders; a failure that says how to install it when there is none.</summary>
    public static string Path => Found
        ?? throw new InvalidOperationException("nginx is not installed, and these tests start a real one: run ./test.sh (it installs it), or apt-get install nginx");
}
