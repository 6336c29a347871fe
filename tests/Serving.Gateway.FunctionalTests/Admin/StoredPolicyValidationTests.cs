using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Gateway.Traffic;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Admin;

/// <summary>
/// A policy read from the store (a hand-edited file, a Redis field written by hand or by another build) gets the checks
/// a change gets where they don't depend on this gateway's workers: one that fails them is refused with an error naming
/// the model and the reasons, and the policy in force (or the default) stays.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class StoredPolicyValidationTests(GatewayFixture fixture) : IAsyncLifetime
{
    private const string Invalid = """{"model":"tabular","weights":{"1":60,"99":50},"shadow":{"version":"2","percent":500},"sticky_header":"bad header","revision":1000}""";

    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task InvalidPolicyInTheFile_AtStart_Refused_TheDefaultServes()
    {
        using var data = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(data.Path, FileTrafficPolicyStore.PoliciesFile), $"[{Invalid}]");
        var logs = new CapturingLoggerProvider();

        await using var gateway = await GatewayServer.StartAsync(
            [fixture.WorkerA], new Dictionary<string, string?> { ["Serving:Gateway:DataDirectory"] = data.Path }, Capture(logs));

        Assert.Equal("default", (await Policies.GetAsync(gateway.Admin!)).GetProperty("source").GetString());
        AssertRefusalLogged(logs, "tabular", "weights must add up to 100 (they add up to 110)", "shadow percent must be from 1 to 100 (got 500)", "sticky_header 'bad header' is not a valid header name");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await Infer.RestAsync(gateway.Http)).Status);
        }
    }

    [Fact]
    public async Task InvalidPolicyInRedis_AtStartAndPublished_Refused_LoggedOnce_TheOneInForceStays()
    {
        await _redis.Database.HashSetAsync("serving:gateway:policies", "tabular", Invalid);
        var logs = new CapturingLoggerProvider();
        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], Settings("00:00:00.100"), Capture(logs));
        Assert.Equal("default", (await Policies.GetAsync(gateway.Admin!)).GetProperty("source").GetString());
        AssertRefusalLogged(logs, "tabular", "weights must add up to 100 (they add up to 110)");

        var set = await Policies.SetAsync(gateway, Policies.TwoVersions(30, 70));
        Assert.Equal(1001, set.GetProperty("revision").GetInt64());
        await _redis.Database.HashSetAsync("serving:gateway:policies", "tabular", Invalid.Replace("1000", "1002", StringComparison.Ordinal));
        await _redis.Database.PublishAsync(StackExchange.Redis.RedisChannel.Literal("serving:gateway:changed"), "tabular");

        await Poll.UntilAsync(() => Refusals(logs).Count() == 2);
        var resyncs = await _redis.CommandCallsAsync("hgetall");
        await Poll.UntilAsync(async () => await _redis.CommandCallsAsync("hgetall") > resyncs + 3);
        Assert.Equal(2, Refusals(logs).Count());
        var inForce = await Policies.GetAsync(gateway.Admin!);
        Assert.Equal(("1=30 2=70", 1001L), (Policies.Weights(inForce), inForce.GetProperty("revision").GetInt64()));
    }

    [Fact]
    public async Task GarbageInRedis_AtStart_LeftOut_WithAnErrorNamingTheModel()
    {
        await _redis.Database.HashSetAsync("serving:gateway:policies", "tabular", "{\"model\": \"tabular\", \"weig");
        var logs = new CapturingLoggerProvider();

        await using var gateway = await GatewayServer.StartAsync([fixture.WorkerA], Settings("01:00:00"), Capture(logs));

        Assert.Equal("default", (await Policies.GetAsync(gateway.Admin!)).GetProperty("source").GetString());
        var error = Assert.Single(logs.Entries, e => e.Category == typeof(RedisTrafficPolicyStore).FullName && e.Level == LogLevel.Error);
        Assert.StartsWith("The stored traffic policy of tabular in Redis hash serving:gateway:policies is no policy", error.Message, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Settings(string resync) => new()
    {
        ["Serving:Gateway:RedisConnectionString"] = _redis.ConnectionString,
        ["Serving:Gateway:PolicyResyncInterval"] = resync,
    };

    private static Action<TracerProviderBuilder> Capture(CapturingLoggerProvider logs) => t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs));

    private static IEnumerable<CapturedLog> Refusals(CapturingLoggerProvider logs) =>
        logs.Entries.Where(e => e.Category == typeof(TrafficPolicyService).FullName && e.Level == LogLevel.Error);

    private static void AssertRefusalLogged(CapturingLoggerProvider logs, string model, params string[] reasons)
    {
        var error = Assert.Single(Refusals(logs));
        Assert.StartsWith($"The stored traffic policy of {model} (revision 1000) is refused", error.Message, StringComparison.Ordinal);
        foreach (var reason in reasons)
        {
            Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        }
    }
}
