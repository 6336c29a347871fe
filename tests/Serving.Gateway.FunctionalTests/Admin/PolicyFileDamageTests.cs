using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>
/// A policy file that can't be read at start (truncated by a full disk, a bad restore) is never overwritten: the gateway
/// says so in an error, serves the defaults, and refuses changes with 503 saying what to do, as when Redis is down.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PolicyFileDamageTests(GatewayFixture fixture)
{
    /// <summary>Before, a full disk left an empty traffic-policies.json.tmp behind (seen by the gateway chaos sweep).</summary>
    [Fact]
    public async Task DiskFullWhileSaving_503_TheOldPolicyStays_NoTemporaryFileLeft_TheNextChangeApplies()
    {
        using var data = new TempDirectory();
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path });
        await Policies.SetAsync(gateway, Policies.TwoVersions(100, 0));
        var temp = Path.Combine(data.Path, FileTrafficPolicyStore.PoliciesFile + ".tmp");
        File.CreateSymbolicLink(temp, "/dev/full"); // every write to it fails with ENOSPC, as on a full disk

        var (status, body) = await Policies.PutAsync(gateway.Admin!, "tabular", Policies.TwoVersions(50, 50));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("No space left on device", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("1=100 2=0", Policies.Weights(await Policies.GetAsync(gateway.Admin!)));
        Assert.False(File.Exists(temp) || new FileInfo(temp).LinkTarget is not null, "the temporary file is left behind");
        Assert.Equal("1=50 2=50", Policies.Weights(await Policies.SetAsync(gateway, Policies.TwoVersions(50, 50))));
    }

    [Fact]
    public async Task TruncatedPolicyFile_ChangesRefused503_TheFileIsKept_AndFixingItBringsThePoliciesBack()
    {
        using var data = new TempDirectory();
        var settings = new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path };
        await using (var first = await GatewayServer.StartAsync([fixture.WorkerA], settings))
        {
            await Policies.SetAsync(first, """{"weights": {"1": 100, "2": 0}, "sticky_header": "x-user-id"}""");
            await Policies.SetAsync(first, Policies.TwoVersions(30, 70));
        }

        var path = Path.Combine(data.Path, FileTrafficPolicyStore.PoliciesFile);
        var whole = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, whole[..40]);
        var logs = new CapturingLoggerProvider();

        await using (var second = await GatewayServer.StartAsync([fixture.WorkerA], settings, t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs))))
        {
            Assert.Equal("default", (await Policies.GetAsync(second.Admin!)).GetProperty("source").GetString());

            var (status, body) = await Policies.PutAsync(second.Admin!, "tabular", Policies.TwoVersions(50, 50));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            var message = body.GetProperty("error").GetString()!;
            Assert.Contains(path, message, StringComparison.Ordinal);
            Assert.Contains("fix it or move it away, then restart the gateway", message, StringComparison.Ordinal);
            Assert.Equal(whole[..40], await File.ReadAllBytesAsync(path));
            Assert.Equal("default", (await Policies.GetAsync(second.Admin!)).GetProperty("source").GetString());
            var error = Assert.Single(logs.Entries, e => e.Category == typeof(TrafficPolicyService).FullName && e.Level == LogLevel.Error);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }

        await File.WriteAllBytesAsync(path, whole);
        await using var third = await GatewayServer.StartAsync([fixture.WorkerA], settings);
        var loaded = await Policies.GetAsync(third.Admin!);
        Assert.Equal(("1=30 2=70", 2L), (Policies.Weights(loaded), loaded.GetProperty("revision").GetInt64()));
    }
}
