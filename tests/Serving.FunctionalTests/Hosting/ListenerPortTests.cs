using Microsoft.Extensions.Options;
using Serving.Drift.Hosting;
using Serving.Gateway.Hosting;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>
/// A port out of range fails the start with the options validator's message naming the key, for every role:
/// the listeners are set up from the validated options, so Kestrel never sees the bad value (it used to throw
/// ArgumentOutOfRangeException with a stack trace before validation ran).
/// </summary>
public sealed class ListenerPortTests
{
    [Theory]
    [InlineData("Serving:Worker:RestPort", "70000")]
    [InlineData("Serving:Worker:GrpcPort", "-1")]
    [InlineData("Serving:Worker:MetricsPort", "65536")]
    public async Task Worker_PortOutOfRange_FailsNamingTheKey(string key, string value)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            WorkerServer.StartAsync(RepoPaths.Models, new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(key.Split(':')[^1], string.Join("; ", error.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Serving:Gateway:RestPort", "99999")]
    [InlineData("Serving:Gateway:AdminPort", "-2")]
    public async Task Gateway_PortOutOfRange_FailsNamingTheKey(string key, string value)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            GatewayServer.StartAsync([GatewayWorkerAddress.Loopback(1, 2)], new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(key.Split(':')[^1], string.Join("; ", error.Failures), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Serving:Drift:GrpcPort", "-3")]
    [InlineData("Serving:Drift:RestPort", "70000")]
    public async Task Drift_PortOutOfRange_FailsNamingTheKey(string key, string value)
    {
        using var archive = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Serving:Drift:ModelRepository"] = RepoPaths.Models,
            ["Serving:Drift:BindAddress"] = "127.0.0.1",
            ["Serving:Drift:GrpcPort"] = "0",
            ["Serving:Drift:RestPort"] = "0",
            ["Serving:Drift:Archive:Directory"] = archive.Path,
            ["Logging:LogLevel:Default"] = "Warning",
            [key] = value,
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = DriftHost.Build([], settings);
            await app.StartAsync();
        });

        Assert.Contains(key.Split(':')[^1], string.Join("; ", error.Failures), StringComparison.Ordinal);
    }
}
