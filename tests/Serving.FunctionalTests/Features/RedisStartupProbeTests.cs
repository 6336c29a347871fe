using Serving.FunctionalTests.Hosting;
using Serving.Testing;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// A worker whose feature-store Redis does not answer says so at start, password hidden (it started without a word,
/// and the first sign was a warning on each entity-form call); one whose Redis answers says that too.
/// </summary>
public sealed class RedisStartupProbeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RedisDown_WorkerSaysSoAtStart_PasswordHidden()
    {
        using var process = await StartWorkerAsync($"127.0.0.1:{ClosedPort()},password=s3cretpass");

        await UntilAsync(() => process.Output.Contains("Feature store: Redis at", StringComparison.Ordinal));

        Assert.Contains("does not answer", process.Output, StringComparison.Ordinal);
        Assert.Contains("password=*****", process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cretpass", process.Output, StringComparison.Ordinal);
        Assert.True(process.IsRunning);
    }

    [Fact]
    public async Task RedisUp_WorkerSaysItAnswered()
    {
        await using var redis = await RedisServer.StartAsync();
        using var process = await StartWorkerAsync(redis.ConnectionString);

        await UntilAsync(() => process.Output.Contains("Feature store: Redis at", StringComparison.Ordinal));

        Assert.Contains($"Feature store: Redis at 127.0.0.1:{redis.Port}", process.Output, StringComparison.Ordinal);
        Assert.Contains("answered in", process.Output, StringComparison.Ordinal);
    }

    private static Task<ServingProcess> StartWorkerAsync(string redis) =>
        ServingProcess.StartAsync(
            "worker", "--models", RepoPaths.Models, "--bind", "127.0.0.1", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--Serving:Features:Redis=" + redis);

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    // A bounded wait for a line the worker logs on its own schedule; it asserts the line, not the time.
    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the expected log line did not come");
            await Task.Delay(50);
        }
    }
}
