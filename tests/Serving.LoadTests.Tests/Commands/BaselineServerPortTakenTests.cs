using System.Net;
using System.Net.Sockets;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Commands;

/// <summary>
/// <c>serving-loadtest echo-server</c> / <c>naive-server</c> on a port another process holds: one line naming the address
/// and what to do, exit 1. Before: "Unhandled exception:" and Kestrel's stack trace, twice (the host's log and the
/// command line's handler).
/// </summary>
public sealed class BaselineServerPortTakenTests
{
    [Theory]
    [InlineData("echo-server")]
    [InlineData("naive-server", "--model-dir", "tabular")]
    public async Task PortTaken_ExitOne_OneLineSayingWhatToDo_NoStackTrace(string command, params string[] rest)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string[] extra = rest.Length == 0 ? [] : [rest[0], Path.Combine(ModelsFolder(), rest[1])];

        var (code, output, error) = await LoadTestCli.RunAsync([command, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http1-port", "0", .. extra]);

        Assert.True(code == 1, $"exit {code}: {output}{error}");
        Assert.Contains($"error: could not listen: Failed to bind to address http://127.0.0.1:{port}: address already in use. Another server may hold it: stop it, or give --port", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output + error, StringComparison.Ordinal);
    }

    private static string ModelsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "models", "tabular")) && File.Exists(Path.Combine(dir.FullName, "Serving.sln")))
            {
                return Path.Combine(dir.FullName, "models");
            }
        }

        throw new DirectoryNotFoundException("the repository's models/ folder was not found above " + AppContext.BaseDirectory);
    }
}
