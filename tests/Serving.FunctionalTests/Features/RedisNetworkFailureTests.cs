using System.Net;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Testing;
using Serving.Worker.Models;
using StatusCode = Grpc.Core.StatusCode;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// Entity-form calls while the network to Redis fails in the ways a real one does (a <see cref="RedisProxy"/> in front of
/// a real redis-server): every call is answered within its deadline as the outage policy says (fail_closed: 503 /
/// UNAVAILABLE naming it), nothing is logged as an Error for what is the store's fault, no lookup is left pending, and
/// the worker reads Redis again by itself once the network does.
/// </summary>
public sealed class RedisNetworkFailureTests : IAsyncLifetime
{
    private const string FailClosed = "the feature store is unavailable (on_unavailable: fail_closed)";
    private RedisServer _redis = null!;
    private RedisProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        config.Layout = "hash";
        using var reader = new StreamReader(FeatureTestData.CsvPath);
        await Serving.Worker.Features.FeatureLoader.LoadAsync(reader, config, _redis.Database, 100, null, CancellationToken.None);
        _proxy = RedisProxy.Start(_redis.Port);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        _redis.Resume();
        await _redis.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(RedisNetworkFailures.All), MemberType = typeof(RedisNetworkFailures))]
    public async Task NetworkFails_EveryCallAnsweredAsTheOutagePolicySays_RecoversAfter(string failure)
    {
        var logs = new CapturingLoggerProvider();
        var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        using var repoScope = repo;
        await WriteFeaturesAsync(repo.Path, ("layout", "hash"), ("near_cache_ttl_ms", "0"), ("on_unavailable", "fail_closed"));
        var redis = RedisNetworkFailures.ConnectionString(failure, _redis, _proxy) + ",syncTimeout=1000,asyncTimeout=1000";
        await using var server = await WorkerServer.StartAsync(
            repo.Path,
            new Dictionary<string, string?>
            {
                ["Serving:Features:Redis"] = redis,
                ["Serving:Features:BreakerOpenFor"] = "00:00:00.200",
                ["Serving:Features:Timeout"] = "00:00:00.500",
            },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        var batcher = server.Service<ModelRepository>().Table.Models["tabular"].Versions[1].Batcher!;
        Assert.Equal(HttpStatusCode.OK, (await RestAsync(server, 5)).Status);

        RedisNetworkFailures.Start(failure, _redis, _proxy, TimeSpan.FromSeconds(2));
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var (status, body) = await RestAsync(server, 5 + i);
                Assert.True(status == HttpStatusCode.ServiceUnavailable && body.Contains(FailClosed, StringComparison.Ordinal), $"{failure}, call {i}: {(int)status} {body}");
                var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [5 + i]), deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);
                Assert.True(error.StatusCode == StatusCode.Unavailable && error.Status.Detail.Contains(FailClosed, StringComparison.Ordinal), $"{failure}, gRPC call {i}: {error.Status}");
            }

            // Twenty at once: each answered, none left waiting on the store.
            var burst = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => RestAsync(server, 100 + i)));
            Assert.All(burst, r => Assert.True(r.Status == HttpStatusCode.ServiceUnavailable, $"{failure}: {(int)r.Status} {r.Body}"));
            Assert.Equal(0, batcher.LookupsInFlight);
        }
        finally
        {
            RedisNetworkFailures.End(failure, _redis, _proxy);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await RestAsync(server, 7)).Status != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{failure}: the worker did not read Redis again within 30 s of the network's return");
            await Task.Delay(100);
        }

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("Exception was thrown by handler", StringComparison.Ordinal));
    }

    /// <summary>
    /// An entity read before Redis went dark is served from the near cache within its TTL, unflagged; one it lacks gets
    /// the outage policy. Redis then restarted empty: entities read as missing (defaults, flagged in
    /// features_defaulted_rows), not as an outage.
    /// </summary>
    [Fact]
    public async Task Blackhole_NearCacheServesWhatItHolds_ThenRedisRestartedEmpty_EntitiesReadAsMissing()
    {
        var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        using var repoScope = repo;
        await WriteFeaturesAsync(repo.Path, ("layout", "hash"), ("near_cache_ttl_ms", "600000"), ("on_unavailable", "fail_closed"));
        await using var server = await WorkerServer.StartAsync(repo.Path, new Dictionary<string, string?>
        {
            ["Serving:Features:Redis"] = _proxy.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000",
            ["Serving:Features:BreakerOpenFor"] = "00:00:00.200",
            ["Serving:Features:Timeout"] = "00:00:00.500",
        });
        var (status, before) = await RestAsync(server, 5);
        Assert.Equal(HttpStatusCode.OK, status);

        _proxy.Blackhole();
        var (cachedStatus, cached) = await RestAsync(server, 5);
        Assert.True(cachedStatus == HttpStatusCode.OK, $"{(int)cachedStatus} {cached}");
        Assert.Equal(Outputs(before), Outputs(cached));
        Assert.DoesNotContain("features_", cached, StringComparison.Ordinal);
        var (uncachedStatus, uncached) = await RestAsync(server, 6);
        Assert.True(uncachedStatus == HttpStatusCode.ServiceUnavailable && uncached.Contains(FailClosed, StringComparison.Ordinal), $"{(int)uncachedStatus} {uncached}");

        _redis.Stop();
        _proxy.Forward();
        await _redis.StartAgainAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string body;
        while (!(body = (await RestAsync(server, 6)).Body).Contains("\"features_defaulted_rows\":\"0\"", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the entity of the emptied Redis did not read as missing within 30 s: {body}");
            await Task.Delay(100);
        }

        Assert.DoesNotContain("features_store_unavailable", body, StringComparison.Ordinal);
    }

    /// <summary>
    /// Before, the multiplexer was disposed with StackExchange.Redis's default close, which sends QUIT and waits for its
    /// answer up to the sync timeout: with a Redis that doesn't answer the worker's stop took that long (here a minute).
    /// </summary>
    [Fact]
    public async Task StopWhileALookupHangs_TheWorkerStops()
    {
        var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        using var repoScope = repo;
        await WriteFeaturesAsync(repo.Path, ("layout", "hash"), ("near_cache_ttl_ms", "0"), ("on_unavailable", "fail_closed"));
        var server = await WorkerServer.StartAsync(repo.Path, new Dictionary<string, string?>
        {
            ["Serving:Features:Redis"] = _proxy.ConnectionString + ",syncTimeout=60000,asyncTimeout=60000",
            ["Serving:Features:Timeout"] = "00:00:30",
            ["Serving:Shutdown:DrainTimeout"] = "00:00:02",
        });
        Assert.Equal(HttpStatusCode.OK, (await RestAsync(server, 5)).Status);
        _proxy.Blackhole();
        var call = RestAsync(server, 6);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_proxy.Held == 0)
        {
            Assert.True(DateTime.UtcNow < deadline && !call.IsCompleted, "the lookup never reached the blackhole");
            await Task.Delay(10);
        }

        var stopping = server.DisposeAsync().AsTask();

        Assert.True(await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(40))) == stopping, "the worker did not stop within 40 s while a lookup hung (sync timeout 60 s)");
        await stopping;
    }

    private static async Task WriteFeaturesAsync(string repo, params (string Key, string Value)[] overrides)
    {
        var path = Path.Combine(repo, "tabular", "model.yaml");
        var yaml = await File.ReadAllTextAsync(path);
        foreach (var (key, value) in overrides)
        {
            yaml = System.Text.RegularExpressions.Regex.Replace(yaml, $@"(?m)^  {key}: .*$", $"  {key}: {value}");
        }

        await File.WriteAllTextAsync(path, yaml);
    }

    private static string Outputs(string body) => System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("outputs").GetRawText();

    private static async Task<(HttpStatusCode Status, string Body)> RestAsync(WorkerServer server, long id)
    {
        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id])));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
