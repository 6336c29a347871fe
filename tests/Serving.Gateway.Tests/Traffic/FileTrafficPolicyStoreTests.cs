using Serving.Gateway.Traffic;

namespace Serving.Gateway.Tests.Traffic;

public sealed class FileTrafficPolicyStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "serving-gateway-tests-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Save_ThenANewStore_LoadsTheSamePolicy()
    {
        await using (var store = new FileTrafficPolicyStore(_directory))
        {
            await store.StartAsync(default);
            Assert.True(await store.SaveAsync(Policy(1, 90, 10), 0, default));
        }

        await using var reopened = new FileTrafficPolicyStore(_directory);
        await reopened.StartAsync(default);
        var policy = Assert.Single(await reopened.LoadAllAsync(default));
        Assert.Equal(("tabular", 1L, "x-user-id"), (policy.Model, policy.Revision, policy.StickyHeader));
        Assert.Equal([new VersionWeight("1", 90), new VersionWeight("2", 10)], policy.Weights.ToArray());
        Assert.Equal(new ShadowPolicy("2", 5), policy.Shadow);
    }

    [Fact]
    public async Task Save_StaleRevision_Refused()
    {
        await using var store = new FileTrafficPolicyStore(_directory);
        await store.StartAsync(default);
        Assert.True(await store.SaveAsync(Policy(1, 90, 10), 0, default));

        Assert.False(await store.SaveAsync(Policy(2, 80, 20), 0, default));
        Assert.True(await store.SaveAsync(Policy(2, 80, 20), 1, default));
        Assert.Equal(2, (await store.LoadAsync("tabular", default))!.Revision);
    }

    [Theory]
    [InlineData(150)]
    [InlineData(0)]
    public async Task Start_TruncatedFile_Unreadable_NothingLoadedOrSaved_TheFileIsKept(int keep)
    {
        await using (var first = new FileTrafficPolicyStore(_directory))
        {
            await first.StartAsync(default);
            Assert.True(await first.SaveAsync(Policy(1, 90, 10), 0, default));
            Assert.True(await first.SaveAsync(Policy(1, 90, 10, "other"), 0, default));
        }

        var path = Path.Combine(_directory, FileTrafficPolicyStore.PoliciesFile);
        var truncated = File.ReadAllBytes(path)[..keep];
        File.WriteAllBytes(path, truncated);
        await using var store = new FileTrafficPolicyStore(_directory);

        var start = await Assert.ThrowsAsync<PolicyStoreUnreadableException>(() => store.StartAsync(default));
        Assert.Contains(path, start.Message, StringComparison.Ordinal);
        Assert.Contains("fix it or move it away", start.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PolicyStoreUnreadableException>(() => store.LoadAllAsync(default));
        await Assert.ThrowsAsync<PolicyStoreUnreadableException>(() => store.LoadAsync("tabular", default));
        await Assert.ThrowsAsync<PolicyStoreUnreadableException>(() => store.SaveAsync(Policy(1, 50, 50), 0, default));
        Assert.Equal(truncated, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Audit_AppendsAndReadsNewestFirst()
    {
        await using var store = new FileTrafficPolicyStore(_directory);
        await store.StartAsync(default);
        await store.AppendAuditAsync(new PolicyChangeDocument { Model = "tabular", Who = "a", New = TrafficPolicyDocument.From(Policy(1, 90, 10)) }, default);
        await store.AppendAuditAsync(new PolicyChangeDocument { Model = "other", Who = "b" }, default);
        await store.AppendAuditAsync(new PolicyChangeDocument { Model = "tabular", Who = "c" }, default);

        var history = await store.HistoryAsync("tabular", 10, default);

        Assert.Equal(["c", "a"], history.Select(h => h.Who));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static TrafficPolicy Policy(long revision, int w1, int w2, string model = "tabular") =>
        new(model, [new("1", w1), new("2", w2)], "x-user-id", null, new ShadowPolicy("2", 5), revision, DateTimeOffset.UnixEpoch, "test");
}
