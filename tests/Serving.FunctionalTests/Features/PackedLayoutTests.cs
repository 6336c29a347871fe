using System.Net;
using System.Text.Json;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;
using Serving.Worker.Configuration;
using Serving.Worker.Features;
using Serving.Worker.Models;

namespace Serving.FunctionalTests.Features;

/// <summary><c>layout: packed</c> against a real redis-server: one string per entity, one MGET per batch.</summary>
public sealed class PackedLayoutTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        await LoadCsvAsync();
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private static FeaturesConfig PackedConfig()
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        config.Layout = "packed";
        return config;
    }

    private async Task<FeatureLoader.Result> LoadCsvAsync(string? csv = null)
    {
        using var reader = csv is null ? new StreamReader(FeatureTestData.CsvPath) : new StreamReader(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)));
        return await FeatureLoader.LoadAsync(reader, PackedConfig(), _redis.Database, 100, null, CancellationToken.None);
    }

    private Task<(WorkerServer Server, TempDirectory Repo)> StartAsync(params (string Key, string Value)[] overrides) =>
        FeatureTestData.StartWorkerAsync(_redis.ConnectionString, "", [("layout", "packed"), .. overrides]);

    [Fact]
    public async Task Loader_WritesOneStringPerEntity_FieldEqualsValueLines()
    {
        var fields = File.ReadLines(Path.Combine(RepoPaths.Models, "tabular", "feature_names.txt")).ToArray();

        var value = (string?)await _redis.Database.StringGetAsync("features:customer:1");

        Assert.NotNull(value);
        var lines = value.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(fields, lines.Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]));
        Assert.StartsWith("mean_radius=17.989999771118164\n", value, StringComparison.Ordinal);
        Assert.Equal(StackExchange.Redis.RedisType.String, await _redis.Database.KeyTypeAsync("features:customer:1"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public async Task StoredFeatures_SameOutputsAsInlineGolden_RestAndGrpc(string version)
    {
        var (server, repo) = await StartAsync();
        using var repoScope = repo;
        await using var serverScope = server;
        await FeatureTestData.AssertEntityFormMatchesGoldenAsync(server, version);
    }

    [Fact]
    public async Task BatchOf64Entities_OneMgetCountedOnTheServer_NoScriptNoHashReads()
    {
        var (server, repo) = await StartAsync();
        using var repoScope = repo;
        await using var serverScope = server;
        await _redis.ResetStatsAsync();

        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody(Enumerable.Range(1, 64).Select(i => (long)i))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal(1, await _redis.CommandCallsAsync("mget"));
        Assert.Equal(0, await _redis.CommandCallsAsync("evalsha") + await _redis.CommandCallsAsync("eval") + await _redis.CommandCallsAsync("hmget"));
    }

    [Fact]
    public async Task LargeBatch_SplitIntoChunks_AllSentBeforeAnyReply()
    {
        // 64 entities, at most 16 keys per call: four MGETs, which must all leave before the first reply is awaited.
        var (server, repo) = await FeatureTestData.StartWorkerAsync(
            _redis.ConnectionString, "",
            new Dictionary<string, string?> { ["Serving:Features:MaxKeysPerCall"] = "16", ["Serving:Features:Timeout"] = "00:00:30" },
            ("layout", "packed"), ("near_cache_ttl_ms", "0"));
        using var repoScope = repo;
        await using var serverScope = server;
        long[] ids = [.. Enumerable.Range(1, 64).Select(i => (long)i)];
        var fourMgets = ids.Chunk(16).Sum(chunk => MgetBytes(chunk.Select(id => $"features:customer:{id}")));

        // A frozen Redis answers nothing, so whatever the worker sends for the batch waits in the server's socket: a
        // worker that awaited each chunk's reply before sending the next would leave only the first one there.
        _redis.Pause();
        Task<HttpResponseMessage> call;
        try
        {
            call = server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody(ids)));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            // Nothing is subtracted for what was queued before: a PING in flight then (14 bytes, the client's heartbeat)
            // was read before the pause, and took its size off the count (seen once: 1765 of 1779). What else may come
            // while Redis is frozen is such a PING, far smaller than one chunk's MGET (over 400 bytes).
            while (QueuedBytes(_redis.Port) < fourMgets)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{QueuedBytes(_redis.Port)} bytes reached the frozen Redis; the four MGETs are {fourMgets}");
                await Task.Delay(10);
            }
        }
        finally
        {
            _redis.Resume();
        }

        using var response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("features_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    // The RESP bytes of one MGET of these keys.
    private static int MgetBytes(IEnumerable<string> keys)
    {
        var list = keys.ToList();
        return $"*{list.Count + 1}\r\n$4\r\nMGET\r\n".Length + list.Sum(k => $"${k.Length}\r\n{k}\r\n".Length);
    }

    // Bytes waiting unread in the receive queues of the server's connections on this port (Linux /proc/net/tcp).
    private static long QueuedBytes(int port)
    {
        var local = $":{port:X4}";
        long total = 0;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields[1].EndsWith(local, StringComparison.Ordinal) && fields[3] == "01")
            {
                total += Convert.ToInt64(fields[4][(fields[4].IndexOf(':', StringComparison.Ordinal) + 1)..], 16);
            }
        }

        return total;
    }

    [Fact]
    public async Task Store_OddValues_ReadByName_HashOrMissingKeyIsAMissingEntity()
    {
        string[] fields = ["a", "b", "c"];
        await _redis.Database.StringSetAsync("odd:1", "c=3\nunrelated=7\na=1.5\nb=abc\n");
        await _redis.Database.StringSetAsync("odd:none", "x=1\n");
        await _redis.Database.HashSetAsync("odd:hash", [new("a", "1"), new("b", "2"), new("c", "3")]);
        using var connection = new RedisConnection(Microsoft.Extensions.Options.Options.Create(new FeatureStoreOptions { Redis = _redis.ConnectionString }));
        var store = new PackedRedisFeatureStore(connection, maxKeysPerCall: 2, fields);

        var fetched = await store.FetchAsync(["odd:1", "odd:missing", "odd:none", "odd:hash", "odd:1"], fields, CancellationToken.None);

        Assert.Equal([1.5, double.NaN, 3], Assert.IsType<double[]>(fetched[0]));
        Assert.Null(fetched[1]);
        Assert.Null(fetched[2]);
        Assert.Null(fetched[3]); // MGET answers nil for a key of another type
        Assert.Equal([1.5, double.NaN, 3], Assert.IsType<double[]>(fetched[4])); // the third chunk
        Assert.Equal(3, await _redis.CommandCallsAsync("mget")); // 5 keys, 2 per call
    }

    [Fact]
    public async Task HashDataUnderPackedLayout_AMissingEntity_DefaultsFlagged_NotAnError()
    {
        await _redis.Database.KeyDeleteAsync("features:customer:3");
        await _redis.Database.HashSetAsync("features:customer:3", [new("mean_radius", "1")]);
        var (server, repo) = await StartAsync();
        using var repoScope = repo;
        await using var serverScope = server;

        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([2, 3])));

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", JsonDocument.Parse(text).RootElement.GetProperty("parameters").GetProperty("features_defaulted_rows").GetString());
    }

    /// <summary>
    /// A stored value that parses but is no number the model can take (±Infinity, or past float's range for tabular's
    /// FP32 input) is defaulted and the row flagged, as "abc" is: before, it reached the model and the answer was
    /// NaN probabilities, 200, and no flag.
    /// </summary>
    [Theory]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e999")]
    [InlineData("1e39")]
    [InlineData("abc")]
    [InlineData(null)]
    public async Task StoredValueNotFinite_DefaultedAndFlagged_OutputsFinite(string? value)
    {
        await StoreCustomer2WithMeanRadiusAsync(9002, value);
        var (server, repo) = await StartAsync(("near_cache_ttl_ms", "0"));
        using var repoScope = repo;
        await using var serverScope = server;

        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([9002, 2])));

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = JsonDocument.Parse(text).RootElement;
        Assert.Equal("0", root.GetProperty("parameters").GetProperty("features_defaulted_rows").GetString());
        Assert.All(root.GetProperty("outputs")[0].GetProperty("data").EnumerateArray(), v => Assert.Equal(JsonValueKind.Number, v.ValueKind));
    }

    /// <summary>
    /// With on_missing: error, a stored entity whose mean_radius is no number the model can take, or has no line, answers
    /// 404 / NOT_FOUND as the README says: before, 200 with features_defaulted_rows "0" (only a missing entity was 404).
    /// </summary>
    [Theory]
    [InlineData("abc")]
    [InlineData("1e39")]
    [InlineData("Infinity")]
    [InlineData(null)]
    public async Task StoredValueUnusable_OnMissingError_NotFoundRestAndGrpc(string? value)
    {
        await StoreCustomer2WithMeanRadiusAsync(600001, value);
        var (server, repo) = await StartAsync(("near_cache_ttl_ms", "0"), ("on_missing", "error"));
        using var repoScope = repo;
        await using var serverScope = server;

        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([2, 600001])));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, text);
        Assert.Contains("entity '600001' has no number the model can take for field 'mean_radius' in the feature store", text, StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [600001])).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("field 'mean_radius'", error.Status.Detail, StringComparison.Ordinal);
    }

    // Customer 2's packed value under another id, its mean_radius line holding value (no such line when null).
    private async Task StoreCustomer2WithMeanRadiusAsync(long id, string? value)
    {
        var packed = (string)(await _redis.Database.StringGetAsync("features:customer:2"))!;
        var first = packed[..packed.IndexOf('\n', StringComparison.Ordinal)];
        Assert.StartsWith("mean_radius=", first, StringComparison.Ordinal);
        await _redis.Database.StringSetAsync($"features:customer:{id}", (value is null ? "" : $"mean_radius={value}\n") + packed[(first.Length + 1)..]);
    }

    [Fact]
    public async Task RedisStopped_FailOpen_DefaultsFlaggedOverRestAndGrpc_RecoversAfter()
    {
        var (server, repo) = await StartAsync(("near_cache_ttl_ms", "0"));
        using var repoScope = repo;
        await using var serverScope = server;
        _redis.Stop();

        using var during = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([7, 8])));
        var text = await during.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        var parameters = JsonDocument.Parse(text).RootElement.GetProperty("parameters");
        Assert.True(parameters.GetProperty("features_store_unavailable").GetBoolean(), text);
        Assert.Equal("0,1", parameters.GetProperty("features_defaulted_rows").GetString());

        var grpc = await server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [7]), deadline: DateTime.UtcNow.AddSeconds(20));
        Assert.True(grpc.Parameters["features_store_unavailable"].BoolParam);
        Assert.Equal("0", grpc.Parameters["features_defaulted_rows"].StringParam);

        await _redis.StartAgainAsync();
        await LoadCsvAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var after = await server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [7]), deadline: DateTime.UtcNow.AddSeconds(20));
            if (!after.Parameters.ContainsKey("features_store_unavailable"))
            {
                Assert.False(after.Parameters.ContainsKey("features_defaulted_rows"));
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the worker did not recover by itself");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task RedisKilledAndRestartedUnderLoad_EveryCallAnswered_FlaggedOnlyWhileDown_RecoversByItself()
    {
        // A killed Redis fails calls at once (closed connection), so a long timeout costs this test nothing, and a
        // busy machine can't make a call time out while Redis is up.
        var (server, repo) = await FeatureTestData.StartWorkerAsync(
            _redis.ConnectionString, "", new Dictionary<string, string?> { ["Serving:Features:Timeout"] = "00:00:05" }, ("layout", "packed"), ("near_cache_ttl_ms", "0"));
        using var repoScope = repo;
        await using var serverScope = server;
        var (answered, flagged, unflaggedAfterRestart) = (0, 0, 0);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var phase = 0; // 0: Redis up, 1: down, 2: back
        using var stop = new CancellationTokenSource();

        // Eight callers in a loop, half REST and half gRPC, each asking for its own entities.
        var callers = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var id = 1 + (((c * 50) + i) % 400);
                bool unavailable;
                try
                {
                    if (c % 2 == 0)
                    {
                        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id])));
                        var text = await response.Content.ReadAsStringAsync();
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            failures.Enqueue($"REST {(int)response.StatusCode}: {text}");
                            continue;
                        }

                        unavailable = text.Contains("\"features_store_unavailable\":true", StringComparison.Ordinal);
                    }
                    else
                    {
                        var reply = await server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [id]), deadline: DateTime.UtcNow.AddSeconds(20));
                        unavailable = reply.Parameters.TryGetValue("features_store_unavailable", out var p) && p.BoolParam;
                    }
                }
                catch (Exception e) when (e is RpcException or HttpRequestException or TaskCanceledException)
                {
                    failures.Enqueue(e.GetType().Name + ": " + e.Message);
                    continue;
                }

                Interlocked.Increment(ref answered);
                var now = Volatile.Read(ref phase);
                if (unavailable)
                {
                    Interlocked.Increment(ref flagged);
                    if (now == 0)
                    {
                        failures.Enqueue("flagged unavailable before Redis went down");
                    }
                }
                else if (now == 2)
                {
                    Interlocked.Increment(ref unflaggedAfterRestart);
                }
            }
        })).ToArray();

        async Task WaitForAsync(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!condition())
            {
                Assert.True(DateTime.UtcNow < deadline && failures.IsEmpty, $"{what}; failures: {string.Join(" | ", failures.Take(5))}");
                await Task.Delay(20);
            }
        }

        try
        {
            await WaitForAsync(() => Volatile.Read(ref answered) >= 200, "no answers with Redis up");
            Volatile.Write(ref phase, 1);
            _redis.Stop();
            await WaitForAsync(() => Volatile.Read(ref flagged) >= 200, "too few flagged answers while Redis was down");
            await _redis.StartAgainAsync();
            await LoadCsvAsync();
            Volatile.Write(ref phase, 2);
            await WaitForAsync(() => Volatile.Read(ref unflaggedAfterRestart) >= 200, "lookups did not come back after Redis restarted");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(callers);
        }

        // Every call got an answer: values from Redis, or defaults flagged as such; none failed and none hung.
        Assert.True(failures.IsEmpty, string.Join(" | ", failures.Take(5)));
    }

    [Fact]
    public async Task RedisStopped_FailClosed_UnavailableOverRestAndGrpc_RecoversAfter()
    {
        var (server, repo) = await StartAsync(("near_cache_ttl_ms", "0"), ("on_unavailable", "fail_closed"));
        using var repoScope = repo;
        await using var serverScope = server;
        _redis.Stop();

        for (var i = 0; i < 4; i++)
        {
            using var during = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([7])));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [7]), deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);

        await _redis.StartAgainAsync();
        await LoadCsvAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var after = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([7])));
            if (after.StatusCode == HttpStatusCode.OK)
            {
                Assert.DoesNotContain("features_", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the worker did not recover by itself");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Loader_ColumnWithSeparatorInItsName_RefusedBeforeAnyWrite()
    {
        var fields = File.ReadLines(Path.Combine(RepoPaths.Models, "tabular", "feature_names.txt")).ToArray();
        var csv = $"customer_id,{string.Join(",", fields)},\"odd=name\"\n9001,{string.Join(",", Enumerable.Repeat("1.5", 31))}\n";

        var error = await Assert.ThrowsAsync<FormatException>(() => LoadCsvAsync(csv));

        Assert.Contains("'odd=name'", error.Message, StringComparison.Ordinal);
        Assert.False(await _redis.Database.KeyExistsAsync("features:customer:9001"));
    }
}
