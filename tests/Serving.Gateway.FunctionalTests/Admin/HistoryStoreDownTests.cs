using System.Net;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>The change history while Redis doesn't answer: 503 with the reason, as a change gets, not a 500 without a body.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HistoryStoreDownTests(GatewayFixture fixture) : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        _redis.Resume();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task History_RedisPaused_503WithTheReason()
    {
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?>
        {
            ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000",
            ["Serving:Gateway:PolicyResyncInterval"] = "01:00:00",
        });
        await Policies.SetAsync(gateway, Policies.TwoVersions(100, 0));
        _redis.Pause();

        using var response = await gateway.Admin!.GetAsync("/admin/models/tabular/policy/history");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("the policy history can't be read: the policy store is unavailable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Change_RedisStopped_503_WithTheReasonInALine()
    {
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?>
        {
            ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString,
            ["Serving:Gateway:PolicyResyncInterval"] = "01:00:00",
        });
        await Policies.SetAsync(gateway, Policies.TwoVersions(100, 0));
        _redis.Stop();

        var (status, body) = await Policies.PutAsync(gateway.Admin!, "tabular", Policies.TwoVersions(50, 50));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var error = body.GetProperty("error").GetString()!;
        Assert.StartsWith("the policy store is unavailable: ", error, StringComparison.Ordinal);
        Assert.True(error.Length <= 240, $"a line, not the Redis client's diagnostics ({error.Length} characters): {error}");
    }
}
