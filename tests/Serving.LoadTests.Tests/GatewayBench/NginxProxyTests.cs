using System.Diagnostics;
using Serving.LoadTests.Baselines.Echo;
using Serving.LoadTests.Baselines.Hosting;
using Serving.LoadTests.GatewayBench;
using Serving.LoadTests.Payloads;
using Serving.LoadTests.Targets;

namespace Serving.LoadTests.Tests.GatewayBench;

[Collection(NginxCollection.Name)]
public sealed class NginxProxyTests
{
    [Fact]
    public async Task StartAsync_InFrontOfAServer_ForwardsGrpcAndRestThenStopsCleanly()
    {
        await using var echo = await EchoServer.StartAsync(new EchoServerOptions(BaselinePorts.Any, Features: 4), CancellationToken.None);
        var binary = await NginxBinary.ProbeAsync(InstalledNginx.Path, CancellationToken.None);
        var proxy = await NginxProxy.StartAsync(binary, new TargetAddresses(echo.Http2Address, echo.Http1Address), "1", CancellationToken.None);
        var prefix = PrefixOf(proxy.Config);
        int[] pids;
        try
        {
            var payload = new InferPayload("m", string.Empty, [RandomTensorFactory.Create(new TensorSpec("input", "FP32", [1, 4]), 1, new Random(1))]);
            foreach (var protocol in new[] { TargetProtocol.Grpc, TargetProtocol.RestJson })
            {
                var target = new LoadTarget(proxy.Addresses.For(protocol), protocol, "m", GrpcClient: GrpcClientKind.RawHttp2);
                using var client = InferClientFactory.Create(target, payload, connections: 1, callers: 1);
                Assert.Null(await client.PreflightAsync(CancellationToken.None));
            }

            pids = NginxPids(prefix);
            Assert.NotEmpty(pids);
        }
        finally
        {
            await proxy.DisposeAsync();
        }

        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"nginx process {pid} still runs after dispose"));
        Assert.False(Directory.Exists(prefix), $"{prefix} was not deleted");
    }

    [Fact]
    public async Task StartAsync_ConfigNginxRefuses_ThrowsWithNginxsMessageAndLeavesNothing()
    {
        var binary = await NginxBinary.ProbeAsync(InstalledNginx.Path, CancellationToken.None);

        var e = await Assert.ThrowsAsync<LoadTestException>(() =>
            NginxProxy.StartAsync(binary, TargetAddresses.Loopback(1, 2), "not-a-number", CancellationToken.None));

        Assert.Contains("nginx exited at start", e.Message, StringComparison.Ordinal);
        Assert.Contains("worker_processes", e.Message, StringComparison.Ordinal);
    }

    private static string PrefixOf(string config) =>
        config.Split('\n').Single(l => l.StartsWith("pid ", StringComparison.Ordinal))[4..].TrimEnd(';', '\r').Replace("/nginx.pid", string.Empty, StringComparison.Ordinal);

    /// <summary>The master and its workers: every process whose command line names this prefix, or whose parent is the master.</summary>
    private static int[] NginxPids(string prefix)
    {
        var master = int.Parse(File.ReadAllText(Path.Combine(prefix, "nginx.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var children = Process.GetProcesses()
            .Where(p => ParentOf(p.Id) == master)
            .Select(p => p.Id);
        return [master, .. children];
    }

    private static int ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }
}
