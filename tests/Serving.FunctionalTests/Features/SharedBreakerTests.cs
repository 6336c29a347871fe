using System.Globalization;
using System.Net;
using System.Text.Json;
using Serving.Testing;
using Serving.Worker.Features;
using Serving.Worker.Models;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// Two models on one real redis-server share its connection and circuit breaker: one model whose lookups fail for
/// reasons of its own keys must not open the breaker for the other.
/// </summary>
public sealed class SharedBreakerTests : IAsyncLifetime
{
    private const string Broken = "breaker_keys_refused";
    private const string Good = "breaker_keys_allowed";
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    /// <summary>
    /// The worker's Redis user may read <c>features:*</c> only (an ACL, as on a Redis shared with other services), and
    /// one model's key pattern points elsewhere: every lookup of it is refused with NOPERM. Before, those errors counted
    /// for the breaker all models on the Redis share: after three of them it opened, and the well-configured model's
    /// lookups skipped a Redis that was answering, served its defaults flagged features_store_unavailable (fail_open).
    /// Now the refused model gets its own outage policy on every call (each reaches Redis), and the other model reads
    /// its stored features.
    /// </summary>
    [Theory]
    [InlineData("packed", "fail_open")]
    [InlineData("hash", "fail_closed")]
    public async Task OneModelsKeysRefused_OtherModelOnTheSameRedis_StillReadsItsStoredFeatures(string layout, string brokenOnUnavailable)
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        config.Layout = layout;
        using (var reader = new StreamReader(FeatureTestData.CsvPath))
        {
            await FeatureLoader.LoadAsync(reader, config, _redis.Database, 100, null, CancellationToken.None);
        }

        await _redis.Database.ExecuteAsync("ACL", "SETUSER", "serving", "on", ">pw", "~features:*", "+@all");

        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var tabular = Path.Combine(repo.Path, "tabular");
        await ModelCopyAsync(tabular, Path.Combine(repo.Path, Good), Good, layout, "features:customer:{id}", "fail_open");
        await ModelCopyAsync(tabular, Path.Combine(repo.Path, Broken), Broken, layout, "refused:customer:{id}", brokenOnUnavailable);
        Directory.Delete(tabular, recursive: true);

        await using var server = await WorkerServer.StartAsync(repo.Path, new Dictionary<string, string?>
        {
            ["Serving:Features:Redis"] = _redis.ConnectionString + ",user=serving,password=pw",
            ["Serving:Features:BreakerFailures"] = "3",
            ["Serving:Features:BreakerOpenFor"] = "00:10:00", // once open, open for the rest of the test
            ["Serving:Features:Timeout"] = "00:00:05",
        });
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Listeners.MetricsPort}") };
        var before = await metrics.GetStringAsync("/metrics");

        for (var i = 0; i < 6; i++)
        {
            var (status, text) = await EntityCallAsync(server, Broken, 10 + i);
            if (brokenOnUnavailable == "fail_open")
            {
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Contains("\"features_store_unavailable\":true", text, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            }
        }

        var after = await metrics.GetStringAsync("/metrics");

        // The other model's entities are read from Redis: the outputs are those of its stored rows sent inline.
        foreach (var id in new long[] { 5, 6, 7 })
        {
            var (status, text) = await EntityCallAsync(server, Good, id);
            Assert.True(status == HttpStatusCode.OK, $"{Good} entity {id}: {(int)status} {text}");
            var root = JsonDocument.Parse(text).RootElement;
            Assert.False(root.TryGetProperty("parameters", out _), $"{Good} entity {id} was not read from Redis: {text}");
            Assert.Equal(await InlineProbabilitiesAsync(server, Good, id), Probabilities(root));
        }

        // Every one of the refused model's calls reached Redis (none was answered by an open breaker) and was counted under its name.
        Assert.Equal(6, Errors(after, Broken, "error") - Errors(before, Broken, "error"));
        Assert.Equal(0, Errors(after, Broken, "breaker_open") - Errors(before, Broken, "breaker_open"));
        Assert.Equal(0, Errors(await metrics.GetStringAsync("/metrics"), Good, "breaker_open") - Errors(before, Good, "breaker_open"));
    }

    /// <summary>
    /// The other side: a Redis that answers BUSY (a script that runs on) can serve no model, and its answers still open
    /// the breaker, so the lookups then get the outage policy at once.
    /// </summary>
    [Fact]
    public async Task RedisBusyInAScript_CountsForTheBreaker_ItOpens()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        const string Model = "breaker_redis_busy";
        await using var server = await PackedFailOpenWorkerAsync(repo, Model);
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Listeners.MetricsPort}") };
        var before = await metrics.GetStringAsync("/metrics");

        await _redis.Database.ExecuteAsync("CONFIG", "SET", "busy-reply-threshold", "50");
        using var scripter = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_redis.Port},syncTimeout=60000,asyncTimeout=60000");
        var running = scripter.GetDatabase().ScriptEvaluateAsync("while true do end", [], []);
        try
        {
            await UntilBusyAsync(); // past busy-reply-threshold: every other command now gets BUSY
            for (var i = 0; i < 5; i++)
            {
                var (status, text) = await EntityCallAsync(server, Model, 10 + i);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Contains("\"features_store_unavailable\":true", text, StringComparison.Ordinal);
            }

            var after = await metrics.GetStringAsync("/metrics");
            Assert.Equal(3, Errors(after, Model, "error") - Errors(before, Model, "error"));
            Assert.Equal(2, Errors(after, Model, "breaker_open") - Errors(before, Model, "breaker_open"));
        }
        finally
        {
            await _redis.Database.ExecuteAsync("SCRIPT", "KILL");
            await Assert.ThrowsAsync<StackExchange.Redis.RedisServerException>(() => running);
        }
    }

    /// <summary>
    /// Callers whose deadline ends before Redis answers (Redis paused, as a slow one) get 504 at their deadline, but the
    /// breaker all models share learns from Redis's own answer, which comes within Timeout: it stays closed, and the
    /// lookups after it read Redis. Before, each wait a caller's deadline ended counted as a failure, and three such
    /// callers in a row (Triton's timeout is in µs: a caller can pick one that ends mid-call) opened the breaker for
    /// every model on the Redis, whose fail_open lookups then served defaults.
    /// </summary>
    [Fact]
    public async Task CallersDeadlinesEndBeforeRedisAnswers_WithinTimeout_TheSharedBreakerStaysClosed()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        const string Model = "breaker_tight_deadlines";
        await using var server = await PackedFailOpenWorkerAsync(repo, Model);
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Listeners.MetricsPort}") };
        var before = await metrics.GetStringAsync("/metrics");

        // Every client's commands wait out the pause; the worker's MGETs are answered when it ends, well within Timeout.
        using var waiter = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_redis.Port},syncTimeout=60000,asyncTimeout=60000");
        await _redis.Database.ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{Model}/versions/1/infer") { Content = new StringContent(FeatureTestData.EntityBody([10 + i])) };
            request.Headers.Add("X-Serving-Timeout-Ms", "100");
            using var response = await server.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(
                response.StatusCode == HttpStatusCode.GatewayTimeout && text.Contains("features were looked up", StringComparison.Ordinal),
                $"call {i} with a 100 ms deadline while Redis is paused: {(int)response.StatusCode} {text}");
        }

        await waiter.GetDatabase().PingAsync(); // answered once the pause is over

        // Read from Redis (no store flag): the breaker never opened.
        var (status, after) = await EntityCallAsync(server, Model, 6);
        Assert.True(status == HttpStatusCode.OK && !after.Contains("parameters", StringComparison.Ordinal), $"after the pause: {(int)status} {after}");
        var counted = await metrics.GetStringAsync("/metrics");
        Assert.Equal(5, Errors(counted, Model, "timeout") - Errors(before, Model, "timeout"));
        Assert.Equal(0, Errors(counted, Model, "breaker_open") - Errors(before, Model, "breaker_open"));
    }

    // A worker serving the tabular sample as `model` alone (packed, fail_open, no near cache) over the loaded features,
    // with a breaker that opens after 3 failures and stays open for the test, and a store Timeout of 5 s; its first
    // lookup has read Redis.
    private async Task<WorkerServer> PackedFailOpenWorkerAsync(TempDirectory repo, string model)
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        using (var reader = new StreamReader(FeatureTestData.CsvPath))
        {
            await FeatureLoader.LoadAsync(reader, config, _redis.Database, 100, null, CancellationToken.None);
        }

        await ModelCopyAsync(Path.Combine(repo.Path, "tabular"), Path.Combine(repo.Path, model), model, "packed", "features:customer:{id}", "fail_open");
        Directory.Delete(Path.Combine(repo.Path, "tabular"), recursive: true);
        var server = await WorkerServer.StartAsync(repo.Path, new Dictionary<string, string?>
        {
            ["Serving:Features:Redis"] = _redis.ConnectionString,
            ["Serving:Features:BreakerFailures"] = "3",
            ["Serving:Features:BreakerOpenFor"] = "00:10:00",
            ["Serving:Features:Timeout"] = "00:00:05",
        });
        try
        {
            var (status, text) = await EntityCallAsync(server, model, 5);
            Assert.True(status == HttpStatusCode.OK && !text.Contains("parameters", StringComparison.Ordinal), text);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task UntilBusyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await _redis.Database.PingAsync();
            }
            catch (StackExchange.Redis.RedisServerException e) when (e.Message.StartsWith("BUSY", StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "Redis never answered BUSY while the script ran");
            await Task.Delay(20);
        }
    }

    private static async Task ModelCopyAsync(string from, string to, string name, string layout, string keyPattern, string onUnavailable)
    {
        RepoPaths.CopyDirectory(from, to);
        var path = Path.Combine(to, "model.yaml");
        var yaml = await File.ReadAllTextAsync(path);
        yaml = System.Text.RegularExpressions.Regex.Replace(yaml, "(?m)^name: .*$", $"name: {name}");
        foreach (var (key, value) in new[] { ("key_pattern", $"\"{keyPattern}\""), ("layout", layout), ("on_unavailable", onUnavailable), ("near_cache_ttl_ms", "0") })
        {
            yaml = System.Text.RegularExpressions.Regex.Replace(yaml, $@"(?m)^  {key}: .*$", $"  {key}: {value}");
        }

        await File.WriteAllTextAsync(path, yaml);
    }

    private static async Task<(HttpStatusCode Status, string Text)> EntityCallAsync(WorkerServer server, string model, long id)
    {
        using var response = await server.Http.PostAsync($"/v2/models/{model}/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id])));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The model's outputs for entity <paramref name="id"/>'s row of features.csv, sent as the input itself.</summary>
    private static async Task<double[]> InlineProbabilitiesAsync(WorkerServer server, string model, long id)
    {
        var row = File.ReadLines(FeatureTestData.CsvPath).Skip(1).Select(l => l.Split(','))
            .First(cells => cells[0] == id.ToString(CultureInfo.InvariantCulture)).Skip(1);
        var body = $$"""{"inputs":[{"name":"input","datatype":"FP32","shape":[1,30],"data":[{{string.Join(",", row)}}]}]}""";
        using var response = await server.Http.PostAsync($"/v2/models/{model}/versions/1/infer", new StringContent(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return Probabilities(JsonDocument.Parse(text).RootElement);
    }

    private static double[] Probabilities(JsonElement root) =>
        [.. root.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble())];

    private static double Errors(string metrics, string model, string kind) =>
        MetricsExposition.Value(metrics, $"serving_feature_store_errors_total{{model=\"{model}\",version=\"1\",store=\"redis\",kind=\"{kind}\"}}");
}
