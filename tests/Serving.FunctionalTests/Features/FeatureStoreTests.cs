using System.Net;
using System.Text.Json;
using Grpc.Core;
using Serving.Protocol.Inference;
using Serving.Testing;
using Serving.Worker.Features;
using Serving.Worker.Models;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// Entity-form calls against a real redis-server with <c>layout: hash</c> (the default when a model names none; the
/// tabular sample ships <c>packed</c>, see <see cref="PackedLayoutTests"/>): equal outputs, one round trip per batch,
/// near cache, outages, loader.
/// </summary>
public sealed class FeatureStoreTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        await LoadCsvAsync();
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private async Task<FeatureLoader.Result> LoadCsvAsync(string? csv = null)
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        config.Layout = "hash";
        using var reader = csv is null ? new StreamReader(FeatureTestData.CsvPath) : new StreamReader(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)));
        return await FeatureLoader.LoadAsync(reader, config, _redis.Database, 100, null, CancellationToken.None);
    }

    private static readonly (string Key, string Value) Hash = ("layout", "hash");

    private Task<(WorkerServer Server, TempDirectory Repo)> StartAsync(string batching = "", params (string Key, string Value)[] overrides) =>
        FeatureTestData.StartWorkerAsync(_redis.ConnectionString, batching, [Hash, .. overrides]);

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
    public async Task WorkerReady_ConnectedAndScriptRunBeforeTheFirstLookup()
    {
        await _redis.ResetStatsAsync();
        var (server, repo) = await StartAsync();
        using var repoScope = repo;
        await using var serverScope = server;

        // Ready, and no entity asked for yet: the connection and the script were set up while the versions loaded.
        var scripts = await _redis.CommandCallsAsync("evalsha") + await _redis.CommandCallsAsync("eval");
        Assert.Equal(1, scripts);
        Assert.Equal(0, await _redis.CommandCallsAsync("hmget"));
    }

    [Fact]
    public async Task StalledRedis_LookupInFlight_DoesNotHoldTheModelInstance()
    {
        // One model instance; the lookup may wait 30 s, far longer than this test.
        var (server, repo) = await FeatureTestData.StartWorkerAsync(
            _redis.ConnectionString, "  instances: 1\n", new Dictionary<string, string?> { ["Serving:Features:Timeout"] = "00:00:30" }, Hash);
        using var repoScope = repo;
        await using var serverScope = server;
        var batcher = server.Service<ModelRepository>().Table.Models["tabular"].Versions[1].Batcher!;
        var golden = GoldenFile.Load("tabular", "1");

        _redis.Pause();
        try
        {
            var byId = server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([1, 2, 3])));
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (batcher.LookupsInFlight == 0)
            {
                Assert.True(DateTime.UtcNow < deadline && !byId.IsCompleted, "the entity request's batch never started its lookup");
                await Task.Delay(5);
            }

            // The entity request's batch is waiting on Redis; an inline request still gets the model and its answer.
            using var inline = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(golden.RequestBody()));
            Assert.Equal(HttpStatusCode.OK, inline.StatusCode);
            Assert.False(byId.IsCompleted, "the entity request should still be waiting on the stalled Redis");

            _redis.Resume();
            using var answered = await byId;
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            Assert.DoesNotContain("features_store_unavailable", await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            _redis.Resume();
        }
    }

    [Fact]
    public async Task BatchOf64Entities_OneRedisCallCountedOnTheServer()
    {
        var (server, repo) = await StartAsync();
        using var repoScope = repo;
        await using var serverScope = server;
        await _redis.ResetStatsAsync();

        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody(Enumerable.Range(1, 64).Select(i => (long)i))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var scripts = await _redis.CommandCallsAsync("evalsha") + await _redis.CommandCallsAsync("eval");
        Assert.Equal(1, scripts);
        Assert.Equal(64, await _redis.CommandCallsAsync("hmget")); // the 64 HMGETs ran inside that one call
    }

    [Fact]
    public async Task StoredValues_ReadAsTheyWouldBeParsedAlone_MissingOrNonNumericFieldsAreNaN()
    {
        string[] fields = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        await _redis.Database.HashSetAsync("odd:1", [
            new("a", "13.54"), new("b", "abc"), new("c", ""), new("d", "1.5\n"), new("e", " 2.5 "),
            new("f", "1e3"), new("g", "2\n3"), new("i", "-0.125"), new("unrelated", "7")]);
        await _redis.Database.HashSetAsync("odd:empty", [.. fields.Select(f => new StackExchange.Redis.HashEntry(f, ""))]);
        await _redis.Database.HashSetAsync("odd:other", [new("unrelated", "7")]);
        using var connection = new RedisConnection(Microsoft.Extensions.Options.Options.Create(new Serving.Worker.Configuration.FeatureStoreOptions { Redis = _redis.ConnectionString }));
        var store = new RedisFeatureStore(connection, maxKeysPerCall: 2);

        var fetched = await store.FetchAsync(["odd:1", "odd:missing", "odd:empty", "odd:other"], fields, CancellationToken.None);

        // What double.TryParse(text, NumberStyles.Float, InvariantCulture) makes of each value alone; no field → NaN.
        Assert.Equal([13.54, double.NaN, double.NaN, 1.5, 2.5, 1000, double.NaN, double.NaN, -0.125], Assert.IsType<double[]>(fetched[0]));
        Assert.Null(fetched[1]);
        Assert.Equal(Enumerable.Repeat(double.NaN, fields.Length), Assert.IsType<double[]>(fetched[2])); // a hash with the fields, all empty, is an entity
        Assert.Null(fetched[3]); // a hash with none of the fields is not
    }

    /// <summary>
    /// A key that holds another type than a hash (WRONGTYPE) is an entity the store doesn't have: before, its error failed
    /// the whole batch's lookup, which was taken for a store outage (503 with fail_closed, and the breaker opened for
    /// every entity).
    /// </summary>
    [Fact]
    public async Task KeyOfAnotherType_ReadAsMissing_TheBatchsOtherEntitiesRead()
    {
        await _redis.Database.HashSetAsync("typed:1", [new("a", "1.5"), new("b", "2.5")]);
        await _redis.Database.StringSetAsync("typed:2", "not a hash");
        await _redis.Database.ListRightPushAsync("typed:3", "x");
        await _redis.Database.HashSetAsync("typed:4", [new("a", "4"), new("b", "5")]);
        using var connection = new RedisConnection(Microsoft.Extensions.Options.Options.Create(new Serving.Worker.Configuration.FeatureStoreOptions { Redis = _redis.ConnectionString }));
        var store = new RedisFeatureStore(connection, maxKeysPerCall: 8);

        var fetched = await store.FetchAsync(["typed:1", "typed:2", "typed:3", "typed:4"], ["a", "b"], CancellationToken.None);

        Assert.Equal([1.5, 2.5], Assert.IsType<double[]>(fetched[0]));
        Assert.Null(fetched[1]);
        Assert.Null(fetched[2]);
        Assert.Equal([4.0, 5.0], Assert.IsType<double[]>(fetched[3]));
    }

    [Fact]
    public async Task ConcurrentRequestsBatchedTogether_OneRedisCallPerBatch()
    {
        var (server, repo) = await StartAsync("  max_queue_delay_us: 20000\n", ("near_cache_ttl_ms", "0"));
        using var repoScope = repo;
        await using var serverScope = server;
        var batcher = server.Service<ModelRepository>().Table.Models["tabular"].Versions[1].Batcher!;
        await _redis.ResetStatsAsync();
        var before = batcher.Executions;

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            using var r = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer",
                new StringContent(FeatureTestData.EntityBody(Enumerable.Range((i * 4) + 1, 4).Select(x => (long)x))));
            return r.StatusCode;
        })));

        Assert.All(responses, s => Assert.Equal(HttpStatusCode.OK, s));
        var batches = batcher.Executions - before;
        Assert.True(batches < 16, $"{batches} batches for 16 concurrent requests: nothing was batched");
        Assert.Equal(batches, await _redis.CommandCallsAsync("evalsha") + await _redis.CommandCallsAsync("eval"));
    }

    [Fact]
    public async Task NearCache_ServesWithinTtl_SeesUpdatedValueAfter()
    {
        var (server, repo) = await StartAsync("", ("near_cache_ttl_ms", "400"));
        using var repoScope = repo;
        await using var serverScope = server;

        var first = await ProbabilityAsync(server, 1);
        await _redis.Database.HashSetAsync("features:customer:1", [.. File.ReadLines(Path.Combine(RepoPaths.Models, "tabular", "feature_names.txt")).Select(f => new StackExchange.Redis.HashEntry(f, "0"))]);
        await _redis.ResetStatsAsync();

        var cached = await ProbabilityAsync(server, 1);
        Assert.Equal(first, cached);
        Assert.Equal(0, await _redis.CommandCallsAsync("evalsha") + await _redis.CommandCallsAsync("eval"));

        await Task.Delay(600); // past the TTL
        var fresh = await ProbabilityAsync(server, 1);
        Assert.NotEqual(first, fresh);
    }

    [Fact]
    public async Task RedisStopped_FailOpen_DefaultsWithFlag_ThenRecoversWithoutRestart()
    {
        var (server, repo) = await StartAsync("", ("near_cache_ttl_ms", "0"));
        using var repoScope = repo;
        await using var serverScope = server;
        Assert.False((await EntityCallAsync(server, 5)).Unavailable);

        _redis.Stop();
        for (var i = 0; i < 5; i++)
        {
            var during = await EntityCallAsync(server, 5);
            Assert.Equal(HttpStatusCode.OK, during.Status);
            Assert.True(during.Unavailable, "a fail_open answer during the outage must say so");
        }

        await _redis.StartAgainAsync();
        await LoadCsvAsync();
        await WaitUntilAsync(async () => !(await EntityCallAsync(server, 5)).Unavailable);
    }

    [Fact]
    public async Task RedisStopped_FailClosed_UnavailableAndBreakerOpens_RecoversAfter()
    {
        var (server, repo) = await StartAsync("", ("near_cache_ttl_ms", "0"), ("on_unavailable", "fail_closed"));
        using var repoScope = repo;
        await using var serverScope = server;
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Listeners.MetricsPort}") };
        var refusalsBefore = BreakerRefusals(await metrics.GetStringAsync("/metrics"));
        _redis.Stop();

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await EntityCallAsync(server, 7)).Status);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [7]), deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);

        // The breaker answered for the dead store: later calls did not each wait for a timeout. (The series was
        // created at 0 when the version loaded, and other tests may share it: compare with the count before.)
        Assert.True(BreakerRefusals(await metrics.GetStringAsync("/metrics")) > refusalsBefore, "the breaker never answered for the dead store");

        await _redis.StartAgainAsync();
        await LoadCsvAsync();
        await WaitUntilAsync(async () => (await EntityCallAsync(server, 7)).Status == HttpStatusCode.OK);
    }

    /// <summary>
    /// A Redis that takes the connection but never answers (stopped, or a network that drops its packets) when the worker
    /// starts: before, the versions' warm-up waited three connect timeouts for StackExchange.Redis's Connect (15 s with
    /// the default 5 s, three minutes here); now the first connect runs on its own and the warm-up waits for it no longer
    /// than the connect timeout, at most 5 s.
    /// </summary>
    [Fact]
    public async Task StalledRedisAtStart_WorkerStartsWithoutWaitingOutTheConnect_FailOpenUntilRedisAnswers()
    {
        _redis.Pause();
        try
        {
            var starting = FeatureTestData.StartWorkerAsync($"127.0.0.1:{_redis.Port},connectTimeout=60000", "", Hash, ("near_cache_ttl_ms", "0"));
            Assert.True(
                await Task.WhenAny(starting, Task.Delay(TimeSpan.FromSeconds(45))) == starting,
                "the worker did not start within 45 s: its start waits on the stalled Redis's connect (60 s connect timeout)");
            var (server, repo) = await starting;
            using var repoScope = repo;
            await using var serverScope = server;

            var during = await EntityCallAsync(server, 5);
            Assert.Equal(HttpStatusCode.OK, during.Status);
            Assert.True(during.Unavailable, "a fail_open answer while Redis is stalled must say so");

            _redis.Resume();
            await WaitUntilAsync(async () => !(await EntityCallAsync(server, 5)).Unavailable);
        }
        finally
        {
            _redis.Resume();
        }
    }

    [Fact]
    public async Task StalledRedis_OneTimeout_ThenTheBreakerAnswers_NoFurtherCallReachesRedis()
    {
        // A long open time: no half-open probe during the test, so every call after the first is the breaker's.
        var (server, repo) = await FeatureTestData.StartWorkerAsync(
            _redis.ConnectionString, "",
            new Dictionary<string, string?> { ["Serving:Features:Timeout"] = "00:00:00.200", ["Serving:Features:BreakerOpenFor"] = "00:10:00" },
            Hash, ("near_cache_ttl_ms", "0"));
        using var repoScope = repo;
        await using var serverScope = server;
        Assert.False((await EntityCallAsync(server, 5)).Unavailable);
        await _redis.ResetStatsAsync();

        _redis.Pause();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var during = await EntityCallAsync(server, 5);
                Assert.Equal(HttpStatusCode.OK, during.Status);
                Assert.True(during.Unavailable, "a fail_open answer while Redis is stalled must say so");
            }
        }
        finally
        {
            _redis.Resume();
        }

        // A frozen Redis still receives what the worker sends; resumed, it runs it all, and counts it. Only the
        // first call's script was sent: it timed out, and the breaker answered the other five without waiting.
        async Task<long> Scripts() => await _redis.CommandCallsAsync("evalsha") + await _redis.CommandCallsAsync("eval");
        await WaitUntilAsync(async () => await Scripts() >= 1, "the timed-out script never reached Redis");
        Assert.Equal(1, await Scripts());
    }

    [Fact]
    public async Task MissingEntity_DefaultsAndListsTheRow_OrNotFoundWhenRequired()
    {
        var (server, repo) = await StartAsync();
        using var repoScope = repo;
        await using var serverScope = server;
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Listeners.MetricsPort}") };
        var before = await metrics.GetStringAsync("/metrics");
        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([1, 999_999, 2])));
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("1", root.GetProperty("parameters").GetProperty("features_defaulted_rows").GetString());
        Assert.False(root.GetProperty("parameters").TryGetProperty("features_store_unavailable", out _));

        var grpc = await server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [999_998, 3]));
        Assert.Equal("0", grpc.Parameters["features_defaulted_rows"].StringParam);
        Assert.False(grpc.Parameters.ContainsKey("features_store_unavailable"));

        // Counted as missing entities and rows defaulted for that reason (the series are process-wide: at least these).
        var after = await metrics.GetStringAsync("/metrics");
        const string Missing = "serving_feature_missing_entities_total{model=\"tabular\",version=\"1\"}";
        const string Defaulted = "serving_feature_defaulted_rows_total{model=\"tabular\",version=\"1\",reason=\"missing\"}";
        Assert.True(MetricsExposition.Value(after, Missing) - MetricsExposition.Value(before, Missing) >= 2, "two missing entities were not counted");
        Assert.True(MetricsExposition.Value(after, Defaulted) - MetricsExposition.Value(before, Defaulted) >= 2, "two defaulted rows were not counted");

        var (strict, strictRepo) = await StartAsync("", ("on_missing", "error"));
        using var strictRepoScope = strictRepo;
        await using var strictScope = strict;
        using var missing = await strict.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([999_999])));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("entity '999999' is not in the feature store", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<RpcException>(() => strict.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [5, 999_999])).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("entity '999999' is not in the feature store", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Loader_FileWithBadRows_WritesGoodOnesAndNamesBadOnes()
    {
        var fields = File.ReadLines(Path.Combine(RepoPaths.Models, "tabular", "feature_names.txt")).ToArray();
        var good = string.Join(",", Enumerable.Repeat("1.5", 30));
        var csv = $"customer_id,{string.Join(",", fields)}\n9001,{good}\n9002,{good},extra\n9003,{good.Replace("1.5,", "abc,", StringComparison.Ordinal)}\n9004,{good}\n";

        var result = await LoadCsvAsync(csv);

        Assert.Equal(2, result.Written);
        Assert.Equal([3, 4], result.Refused.Select(r => r.Line));
        Assert.Contains("columns", result.Refused[0].Reason, StringComparison.Ordinal);
        Assert.Contains("is not a number", result.Refused[1].Reason, StringComparison.Ordinal);
        Assert.Equal("1.5", (string?)await _redis.Database.HashGetAsync("features:customer:9004", "mean_radius"));
        Assert.False(await _redis.Database.KeyExistsAsync("features:customer:9003"));

        // Idempotent: a second run writes the same and changes nothing else.
        var server = _redis.Database.Multiplexer.GetServers()[0];
        var keys = await server.DatabaseSizeAsync();
        Assert.Equal(2, (await LoadCsvAsync(csv)).Written);
        Assert.Equal(keys, await server.DatabaseSizeAsync());
        Assert.Equal(fields.Length, await _redis.Database.HashLengthAsync("features:customer:9004"));
        Assert.Equal("1.5", (string?)await _redis.Database.HashGetAsync("features:customer:9004", fields[^1]));
    }

    /// <summary>Before, a later row of an id silently overwrote the first, and the report counted both as written.</summary>
    [Fact]
    public async Task Loader_IdGivenTwice_LaterRowRefusedNamingTheFirstLine_FirstKept()
    {
        var fields = File.ReadLines(Path.Combine(RepoPaths.Models, "tabular", "feature_names.txt")).ToArray();
        string Row(string id, string value) => $"{id},{string.Join(",", Enumerable.Repeat(value, 30))}\n";
        var csv = $"customer_id,{string.Join(",", fields)}\n{Row("9201", "1.5")}{Row("9202", "2.5")}{Row("9201", "3.5")}";

        var result = await LoadCsvAsync(csv);

        Assert.Equal(2, result.Written);
        var refused = Assert.Single(result.Refused);
        Assert.Equal(4, refused.Line);
        Assert.Equal("id '9201' is also on line 2 (each entity once)", refused.Reason);
        Assert.Equal("1.5", (string?)await _redis.Database.HashGetAsync("features:customer:9201", "mean_radius"));
    }

    /// <summary>
    /// Data loaded in the packed layout (strings), then the model switched to hash and the data loaded again: before, every
    /// HSET failed with WRONGTYPE and no run of the loader ever got past it. Now a key of another type is replaced, and a
    /// hash keeps a field another tool set.
    /// </summary>
    [Fact]
    public async Task Loader_KeysHeldAsPackedStrings_HashLayoutReplacesThem_HashesKeepOtherFields()
    {
        var packed = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        packed.Layout = FeatureLayouts.Packed;
        using (var reader = new StreamReader(FeatureTestData.CsvPath))
        {
            await FeatureLoader.LoadAsync(reader, packed, _redis.Database, 100, null, CancellationToken.None);
        }

        await _redis.Database.KeyDeleteAsync("features:customer:2");
        await _redis.Database.HashSetAsync("features:customer:2", "note", "kept");
        Assert.Equal(StackExchange.Redis.RedisType.String, await _redis.Database.KeyTypeAsync("features:customer:1"));

        var result = await LoadCsvAsync();

        Assert.Equal(569, result.Written);
        Assert.Equal(StackExchange.Redis.RedisType.Hash, await _redis.Database.KeyTypeAsync("features:customer:1"));
        Assert.Equal("17.989999771118164", (string?)await _redis.Database.HashGetAsync("features:customer:1", "mean_radius"));
        Assert.Equal("kept", (string?)await _redis.Database.HashGetAsync("features:customer:2", "note"));
        Assert.Equal(31, await _redis.Database.HashLengthAsync("features:customer:2"));
    }

    /// <summary>
    /// With on_missing: error, a stored entity whose hash lacks a field, or holds one that is no number, answers 404 /
    /// NOT_FOUND as a missing entity does (README): before, 200 with the row defaulted.
    /// </summary>
    [Theory]
    [InlineData("mean_texture", null)]
    [InlineData("mean_texture", "abc")]
    public async Task StoredEntityLackingAUsableField_OnMissingError_NotFoundRestAndGrpc(string field, string? value)
    {
        await _redis.Database.HashDeleteAsync("features:customer:4", field);
        if (value is not null)
        {
            await _redis.Database.HashSetAsync("features:customer:4", field, value);
        }

        var (server, repo) = await StartAsync("", ("on_missing", "error"));
        using var repoScope = repo;
        await using var serverScope = server;

        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([3, 4])));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, text);
        Assert.Contains($"entity '4' has no number the model can take for field '{field}'", text, StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Grpc.ModelInferAsync(FeatureTestData.GrpcEntityRequest("1", [4])).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        using var fine = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([3])));
        Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
    }

    [Fact]
    public async Task Loader_SpreadsheetStyleFile_BomCrlfQuotes_WritesTheValuesNotTheQuotes()
    {
        var fields = File.ReadLines(Path.Combine(RepoPaths.Models, "tabular", "feature_names.txt")).ToArray();
        var values = string.Join(",", Enumerable.Repeat("\"3.25\"", 30));
        var csv = $"\ufeff\"customer_id\",{string.Join(",", fields.Select(f => $"\"{f}\""))}\r\n\"9101\",{values}\r\n\r\n9102,{values}\r\n";

        var result = await LoadCsvAsync(csv);

        Assert.Empty(result.Refused);
        Assert.Equal(2, result.Written);
        Assert.Equal("3.25", (string?)await _redis.Database.HashGetAsync("features:customer:9101", "mean_radius"));
        Assert.Equal("3.25", (string?)await _redis.Database.HashGetAsync("features:customer:9102", fields[^1]));
        Assert.False(await _redis.Database.KeyExistsAsync("features:customer:\"9101\""));
    }

    [Fact]
    public async Task LoaderCli_ShippedModel_BadRows_ExitCode3_ReportsLineNumbers()
    {
        using var temp = new TempDirectory();
        var fields = File.ReadLines(Path.Combine(RepoPaths.Models, "tabular", "feature_names.txt")).ToArray();
        var good = string.Join(",", Enumerable.Repeat("2.5", 30));
        var csv = Path.Combine(temp.Path, "f.csv");
        await File.WriteAllTextAsync(csv, $"customer_id,{string.Join(",", fields)}\n7001,{good}\n7002,oops\n7003,{good}\n7001,{good}\n");

        var (code, output) = await ServingRun.RunAsync(["features", "load", "--model", "tabular", "--file", csv, "--models", RepoPaths.Models, "--redis", _redis.ConnectionString]);

        Assert.True(code == 3, output);
        Assert.Contains("wrote 2 entities, refused 2 rows", output, StringComparison.Ordinal);
        // The table of refused rows: line 3 of the file (7002), and why; line 5, 7001 again.
        Assert.Matches(@"│ *3 *│ *2 columns, the header has 31", output);
        Assert.Matches(@"│ *5 *│ *id '7001' is also on line 2 \(each entity once\)", output);
        // The CLI reads the model as shipped, whose layout is packed: one string of field=value lines.
        Assert.Contains("mean_radius=2.5\n", (string?)await _redis.Database.StringGetAsync("features:customer:7003"), StringComparison.Ordinal);
        Assert.False(await _redis.Database.KeyExistsAsync("features:customer:7002"));
    }

    private static async Task<double> ProbabilityAsync(WorkerServer server, long id)
    {
        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id])));
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return root.GetProperty("outputs")[0].GetProperty("data")[1].GetDouble();
    }

    private static async Task<(HttpStatusCode Status, bool Unavailable)> EntityCallAsync(WorkerServer server, long id)
    {
        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([id])));
        var text = await response.Content.ReadAsStringAsync();
        var unavailable = response.IsSuccessStatusCode
            && JsonDocument.Parse(text).RootElement.TryGetProperty("parameters", out var p)
            && p.TryGetProperty("features_store_unavailable", out var u) && u.GetBoolean();
        return (response.StatusCode, unavailable);
    }

    private static double BreakerRefusals(string metrics) =>
        MetricsExposition.Value(metrics, "serving_feature_store_errors_total{model=\"tabular\",version=\"1\",store=\"redis\",kind=\"breaker_open\"}");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure = "the worker did not recover by itself")
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(100);
        }
    }
}
