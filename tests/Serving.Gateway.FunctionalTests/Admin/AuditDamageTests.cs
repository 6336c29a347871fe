using System.Net;
using System.Text.Json;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>
/// An audit record that can't be read (a line broken off by a crash or a full disk mid-append, a foreign entry in the
/// Redis list) is left out of the history; the others, and the changes made since, are still shown, not a 503 that
/// calls the store unavailable for as long as the record is there.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditDamageTests(GatewayFixture fixture) : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task AuditLineBrokenOff_HistoryShowsTheOthers_AndTheNextChangeHasALineOfItsOwn()
    {
        using var data = new TempDirectory();
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path });
        await Policies.SetAsync(gateway, Policies.TwoVersions(90, 10));
        await Policies.SetAsync(gateway, Policies.TwoVersions(80, 20));
        var audit = Path.Combine(data.Path, FileTrafficPolicyStore.AuditFile);
        var whole = await File.ReadAllBytesAsync(audit);
        await File.WriteAllBytesAsync(audit, whole[..^100]);

        await Policies.SetAsync(gateway, Policies.TwoVersions(70, 30));

        Assert.Equal(["1=70 2=30", "1=90 2=10"], await HistoryAsync(gateway));
    }

    [Fact]
    public async Task ForeignEntryInTheRedisAuditList_HistoryShowsTheOthers()
    {
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], new Dictionary<string, string?>
        {
            ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString,
            ["Serving:Gateway:PolicyResyncInterval"] = "01:00:00",
        });
        await Policies.SetAsync(gateway, Policies.TwoVersions(90, 10));
        await _redis.Database.ListLeftPushAsync("serving:gateway:audit:tabular", "{\"model\": \"tabular\", \"new\": {");
        await Policies.SetAsync(gateway, Policies.TwoVersions(70, 30));

        Assert.Equal(["1=70 2=30", "1=90 2=10"], await HistoryAsync(gateway));
    }

    // The new weights of each change in the history, newest first; fails unless the history answers 200.
    private static async Task<string[]> HistoryAsync(GatewayServer gateway)
    {
        using var response = await gateway.Admin!.GetAsync("/admin/models/tabular/policy/history");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        var changes = JsonDocument.Parse(text).RootElement.GetProperty("changes");
        return [.. changes.EnumerateArray().Select(c => Policies.Weights(c.GetProperty("new")))];
    }
}
