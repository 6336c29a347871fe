using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Gateway.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.Routing;

/// <summary>
/// A seeded sweep of workers that misbehave in their discovery answers (ready, repository index, version metadata):
/// malformed, truncated, oddly shaped, huge, endless or trickling bodies, error and redirect statuses, connections cut or
/// never answered, flapping readiness, metadata the index promised but the worker does not give, a model list that
/// changes every probe. Each runs beside a good worker of the same version, listed after the bad one. The gateway must
/// start and stay up, serve every call through the good worker, send none to a worker whose answers it could not use,
/// describe the version (its metadata comes from the good worker when the bad one has none to give), keep its model list
/// to valid names, log no Error and a bounded number of warnings, and take the worker back once it behaves.
/// DISCOVERY_SWEEP_SECONDS (default 0.3) is how long each worker is watched misbehaving; DISCOVERY_SWEEP_SEED seeds the
/// random parts (garbage bytes, where a body is cut).
/// </summary>
public sealed class DiscoverySweepTests
{
    private const string Model = "sweep";
    private const string Version = "1";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly double Seconds = double.TryParse(Environment.GetEnvironmentVariable("DISCOVERY_SWEEP_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 0.3;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("DISCOVERY_SWEEP_SEED"), out var seed) ? seed : 20261208;

    /// <summary>What the gateway should make of the bad worker while it misbehaves.</summary>
    public enum Verdict
    {
        /// <summary>Its probe fails: it is unhealthy (health series 0) and gets nothing.</summary>
        Unhealthy,

        /// <summary>Its answers are usable but name nothing servable: it gets nothing, yet is not called unhealthy.</summary>
        ServesNothing,

        /// <summary>Its index is usable: it serves the version beside the good worker.</summary>
        Serves,

        /// <summary>Its answers change from probe to probe: no claim on where calls go.</summary>
        Either,
    }

    public static TheoryData<string> Scenarios => [.. All.Keys];

    private static readonly Dictionary<string, Scenario> All = new(StringComparer.Ordinal)
    {
        ["index: garbage bytes"] = new(Verdict.Unhealthy, (w, _, r) => new() { Index = (c, _) => BytesAsync(c, Garbage(r)) }),
        ["index: truncated"] = new(Verdict.Unhealthy, (w, _, r) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, w.GoodIndex[..r.Next(1, w.GoodIndex.Length)]) }),
        ["index: empty body"] = new(Verdict.Unhealthy, (_, _, _) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, "") }),
        ["index: object, not array"] = new(Verdict.Unhealthy, (_, _, _) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, $$"""{"name":"{{Model}}","version":"{{Version}}","state":"READY"}""") }),
        ["index: array of scalars"] = new(Verdict.Unhealthy, (_, _, _) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, """[1,"sweep",null,true]""") }),
        ["index: version a number"] = new(Verdict.Unhealthy, (_, _, _) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, $$"""[{"name":"{{Model}}","version":{{Version}},"state":"READY"}]""") }),
        ["index: null fields"] = new(Verdict.ServesNothing, (_, _, _) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, """[{"name":null,"version":null,"state":null},{"name":"sweep","version":"1","state":null}]""") }),
        ["index: wrong content type"] = new(Verdict.Serves, (w, _, _) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, w.GoodIndex, "text/html; charset=latin1") }),
        ["index: duplicate entries"] = new(Verdict.Serves, (w, _, _) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, "[" + string.Join(",", Enumerable.Repeat(w.GoodIndex[1..^1], 50)) + "]") }),
        ["index: absurd names and versions"] = new(Verdict.Serves, (w, _, r) => new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, AbsurdIndex(w, r)) }),
        ["index: 40 MB, chunked"] = new(Verdict.Unhealthy, (w, _, _) => new() { Index = (c, _) => HugeAsync(c, w.GoodIndex, 40 << 20) }, Because: "too large"),
        ["index: 40 MB, with its length"] = new(Verdict.Unhealthy, (w, _, _) => new() { Index = (c, _) => HugeAsync(c, w.GoodIndex, 40 << 20, withLength: true) }, Because: "too large"),
        ["index: body never ends"] = new(Verdict.Unhealthy, (_, _, _) => new() { Index = (c, _) => EndlessAsync(c) }, Because: "too large"),
        ["index: body trickles"] = new(Verdict.Unhealthy, (_, _, _) => new() { Index = (c, _) => TrickleAsync(c) }, Because: "probe timeout", Rounds: 1),
        ["index: 500"] = new(Verdict.Unhealthy, (_, _, _) => new() { Index = (c, _) => StatusAsync(c, 500) }),
        ["index: 404"] = new(Verdict.Unhealthy, (_, _, _) => new() { Index = (c, _) => StatusAsync(c, 404) }),
        ["index: reset mid-answer"] = new(Verdict.Unhealthy, (w, _, _) => new() { Index = (c, _) => ResetMidAnswerAsync(c, w.GoodIndex) }),
        ["ready and index: 302 to the good worker"] = new(Verdict.Unhealthy, (_, g, _) => Redirected(g, 302)),
        ["ready and index: 307 to the good worker"] = new(Verdict.Unhealthy, (_, g, _) => Redirected(g, 307)),
        ["ready and index: 308 to the good worker"] = new(Verdict.Unhealthy, (_, g, _) => Redirected(g, 308)),
        ["ready and index: never answer"] = new(Verdict.Unhealthy, (_, _, _) => new() { Ready = (c, _) => HangAsync(c), Index = (c, _) => HangAsync(c) }, Because: "probe timeout", Rounds: 1),
        ["ready: flips every probe"] = new(Verdict.Either, (_, _, _) => Flipping(), MaxWarnings: _ => 1 + (int)(Seconds / 60), Rounds: 8),
        ["index: model list changes every probe"] = new(Verdict.Either, (w, _, _) => Changing(w), MaxWarnings: _ => 0),
        ["metadata: 404"] = new(Verdict.Serves, (_, _, _) => new() { Metadata = (c, _) => StatusAsync(c, 404) }),
        ["metadata: garbage bytes"] = new(Verdict.Serves, (_, _, r) => new() { Metadata = (c, _) => BytesAsync(c, Garbage(r)) }),
        ["metadata: fractional dimension"] = new(Verdict.Serves, (w, _, _) => new() { Metadata = (c, _) => MisbehavingWorker.JsonAsync(c, w.GoodMetadata.Replace("[-1,30]", "[-1,30.5]", StringComparison.Ordinal)) }),
        ["metadata: dimension past long"] = new(Verdict.Serves, (w, _, _) => new() { Metadata = (c, _) => MisbehavingWorker.JsonAsync(c, w.GoodMetadata.Replace("[-1,30]", "[-1,1e400]", StringComparison.Ordinal)) }),
        ["metadata: dimensions as strings"] = new(Verdict.Serves, (w, _, _) => new() { Metadata = (c, _) => MisbehavingWorker.JsonAsync(c, w.GoodMetadata.Replace("[-1,30]", """["-1","30"]""", StringComparison.Ordinal)) }),
        ["metadata: reset mid-answer"] = new(Verdict.Serves, (w, _, _) => new() { Metadata = (c, _) => ResetMidAnswerAsync(c, w.GoodMetadata) }),
        ["metadata: 40 MB, chunked"] = new(Verdict.Serves, (w, _, _) => new() { Metadata = (c, _) => HugeAsync(c, w.GoodMetadata, 40 << 20) }),
        ["metadata: never answers, for 40 versions"] = new(Verdict.Serves, (w, _, _) => ManyHanging(w, 40), Rounds: 2),
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task MisbehavingWorker_GatewayServesThroughTheGoodOne_AndTakesItBackOnceItBehaves(string name)
    {
        var scenario = All[name];
        var random = new Random(Seed ^ StableHash(name));
        await using var good = await StubWorker.AnsweringAsync(Model, Version);
        await using var bad = await MisbehavingWorker.StartAsync(Model, Version);
        bad.Fault = scenario.Faults(bad, good, random);
        var logs = new CapturingLoggerProvider();

        await using var gateway = await StartGatewayAsync([bad.Address, good.Address], logs);
        await WatchAsync(gateway, bad, () => bad.IndexCalls, scenario.Rounds, scenario.Verdict != Verdict.Either && scenario.Verdict != Verdict.Serves);

        var badName = $"worker=\"{bad.Name}\"";
        var version = await AdminVersionAsync(gateway);
        switch (scenario.Verdict)
        {
            case Verdict.Unhealthy:
                Assert.Equal(0, await MetricsText.SumAsync(gateway, "serving_gateway_worker_healthy", badName));
                Assert.Equal(1, version.GetProperty("healthy_workers").GetInt32());
                break;
            case Verdict.ServesNothing:
                Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_worker_healthy", badName));
                Assert.Equal(1, version.GetProperty("workers").GetInt32());
                break;
            case Verdict.Serves:
                Assert.Equal(2, version.GetProperty("workers").GetInt32());
                break;
        }

        // The gateway lists valid names only (its admin list and its repository index), and asked the worker of none other.
        Assert.Equal([Model], await AdminModelNamesAsync(gateway));
        var (indexStatus, rows, _) = await RepositoryIndexCall.PostAsync(gateway.Http, null).WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, indexStatus);
        Assert.Contains(rows, r => r.Name == Model && r.Version == Version && r.State == "READY");
        Assert.All(rows, r => Assert.Matches($"^{Model} [1-9][0-9]*$", $"{r.Name} {r.Version}"));
        Assert.All(bad.MetadataAsked, asked => Assert.Matches($"^{Model}/[1-9][0-9]*$", asked));

        // A warning about the good worker (a probe timed out on a loaded machine) is not this test's business.
        var warnings = logs.Entries.Where(e => e.Level == LogLevel.Warning && !e.Message.Contains($"127.0.0.1:{good.RestPort}", StringComparison.Ordinal)).ToList();
        Assert.True(!logs.Entries.Any(e => e.Level > LogLevel.Warning), $"an Error was logged: {string.Join(" | ", logs.Entries.Where(e => e.Level > LogLevel.Warning).Select(e => e.Message + " " + e.Exception))}");
        var maxWarnings = scenario.MaxWarnings?.Invoke(bad) ?? (scenario.Verdict == Verdict.Unhealthy ? 1 : 0);
        Assert.True(warnings.Count <= maxWarnings, $"{warnings.Count} warnings (at most {maxWarnings}): {string.Join(" | ", warnings.Select(e => e.Message))}");
        if (scenario.Because is { } because)
        {
            Assert.Contains(warnings, e => e.Message.Contains(bad.Name, StringComparison.Ordinal) && e.Message.Contains(because, StringComparison.Ordinal));
        }

        // Once it behaves, the next rounds take it back.
        bad.Fault = MisbehavingWorker.Faults.None;
        await Poll.UntilAsync(async () => (await AdminVersionAsync(gateway)).GetProperty("healthy_workers").GetInt32() == 2);
        Assert.True(await Infer.SucceedsAsync(gateway, Model, Version, grpc: false));
        Assert.Equal(1, await MetricsText.SumAsync(gateway, "serving_gateway_worker_healthy", badName));
    }

    /// <summary>
    /// The config and statistics the gateway asks a worker for on a caller's behalf are read within the same 4 MiB and
    /// the same probe timeout as the discovery answers: a worker whose answer never ends is 502 "too large" to the
    /// caller, one whose answer trickles without end 502 "no answer within the probe timeout", and no Error. Before,
    /// the answer was buffered whole, up to 2 GB, before the limit was looked at, and a trickle held the caller until
    /// the caller gave up.
    /// </summary>
    [Theory]
    [InlineData("config", "40 MB", "too large")]
    [InlineData("config", "endless", "too large")]
    [InlineData("config", "trickle", "no answer within the probe timeout (2 s)")]
    [InlineData("stats", "40 MB", "too large")]
    [InlineData("stats", "endless", "too large")]
    [InlineData("stats", "trickle", "no answer within the probe timeout (2 s)")]
    public async Task WorkerAnswerToACallersQuestionUnbounded_502SayingWhy(string what, string body, string because)
    {
        await using var bad = await MisbehavingWorker.StartAsync(Model, Version);
        Func<HttpContext, MisbehavingWorker, Task> answer = body switch
        {
            "endless" => (c, _) => EndlessAsync(c),
            "trickle" => (c, _) => TrickleAsync(c),
            _ => (c, w) => HugeAsync(c, w.GoodMetadata, 40 << 20),
        };
        bad.Fault = what == "config" ? new() { Config = answer } : new() { Statistics = answer };
        var logs = new CapturingLoggerProvider();
        await using var gateway = await StartGatewayAsync([bad.Address], logs);

        using var response = await gateway.Http.GetAsync($"/v2/models/{Model}/versions/{Version}/{what}").WaitAsync(Bound);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, $"{(int)response.StatusCode}: {text}");
        Assert.Contains(because, text, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Level > LogLevel.Warning);

        bad.Fault = MisbehavingWorker.Faults.None;
        using var good = await gateway.Http.GetAsync($"/v2/models/{Model}/versions/{Version}/{what}").WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    /// <summary>
    /// A worker whose readiness flips every probe is warned of once a minute (UnhealthyWarningPeriod), each of the other
    /// times at Information, and the next warning says how often it went unhealthy meanwhile. It was a warning every
    /// other round for as long as it flapped. The gateway's clock is shifted a minute on rather than waited for.
    /// </summary>
    [Fact]
    public async Task FlappingWorker_WarnedOnceAMinute_ThenSaysHowOftenItWentUnhealthyMeanwhile()
    {
        await using var good = await StubWorker.AnsweringAsync(Model, Version);
        await using var bad = await MisbehavingWorker.StartAsync(Model, Version);
        bad.Fault = Flipping();
        var logs = new CapturingLoggerProvider();
        var clock = new ShiftedClock();
        await using var gateway = await GatewayServer.StartAsync(
            [bad.Address, good.Address],
            new Dictionary<string, string?>
            {
                ["Serving:Gateway:DiscoveryInterval"] = "00:00:00.100",
                ["Logging:LogLevel:Serving.Gateway.Discovery"] = "Information",
            },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs).AddSingleton<TimeProvider>(clock))).WaitAsync(Bound);
        List<CapturedLog> Unhealthy(LogLevel level) =>
            [.. logs.Entries.Where(e => e.Level == level && e.Message.StartsWith($"Worker {bad.Name} is unhealthy", StringComparison.Ordinal))];

        await Poll.UntilAsync(() => Unhealthy(LogLevel.Information).Count >= 3);
        var first = Assert.Single(Unhealthy(LogLevel.Warning));
        Assert.DoesNotContain("since its last warning", first.Message, StringComparison.Ordinal);
        Assert.All(Unhealthy(LogLevel.Information), e => Assert.StartsWith($"Worker {bad.Name} is unhealthy again: it answers that it is not ready", e.Message, StringComparison.Ordinal));

        clock.Shift = TimeSpan.FromSeconds(61);
        await Poll.UntilAsync(() => Unhealthy(LogLevel.Warning).Count >= 2);
        Assert.Matches(@"\(and [1-9][0-9]* more times? since its last warning\)\. No requests go to it", Unhealthy(LogLevel.Warning)[1].Message);
        Assert.DoesNotContain(logs.Entries, e => e.Level > LogLevel.Warning);
    }

    /// <summary>A listener that accepts connections and never answers on them (a hung process): the gateway starts and serves without it.</summary>
    [Fact]
    public async Task ListenerThatNeverAnswers_GatewayStartsAndServesThroughTheGoodOne()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var held = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    held.Add(await silent.AcceptTcpClientAsync(stop.Token));
                }
            }
            catch (OperationCanceledException)
            {
                // The test is over.
            }
        });
        await using var good = await StubWorker.AnsweringAsync(Model, Version);
        var logs = new CapturingLoggerProvider();
        try
        {
            await using var gateway = await StartGatewayAsync([Serving.Gateway.Hosting.GatewayWorkerAddress.Loopback(port, port), good.Address], logs);
            await WatchAsync(gateway, null, () => held.Count, rounds: 3, badOut: true);

            Assert.Equal(0, await MetricsText.SumAsync(gateway, "serving_gateway_worker_healthy", $"worker=\"http://127.0.0.1:{port}\""));
            Assert.DoesNotContain(logs.Entries, e => e.Level > LogLevel.Warning);
            var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
            Assert.Contains("probe timeout", warning.Message, StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            await accepting;
            held.ForEach(c => c.Dispose());
        }
    }

    private static async Task<GatewayServer> StartGatewayAsync(IEnumerable<Serving.Gateway.Hosting.GatewayWorkerAddress> workers, CapturingLoggerProvider logs) =>
        await GatewayServer.StartAsync(
            workers,
            new Dictionary<string, string?>
            {
                ["Serving:Gateway:DiscoveryInterval"] = "00:00:00.100",
                ["Serving:Gateway:ProbeTimeout"] = "00:00:02",
            },
            t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs))).WaitAsync(Bound);

    // Calls the version through the gateway for the watch, and until `rounds` more probes reached the bad worker (each
    // taking a probe timeout for the workers that never answer), every one answered; with badOut, none reaches the bad worker.
    private static async Task WatchAsync(GatewayServer gateway, MisbehavingWorker? bad, Func<int> probes, int rounds, bool badOut)
    {
        var startProbes = probes();
        var until = DateTime.UtcNow.AddSeconds(Seconds);
        var guard = DateTime.UtcNow.AddSeconds(Seconds) + Bound;
        var calls = 0;
        while (DateTime.UtcNow < until || probes() < startProbes + rounds)
        {
            var (status, _, body) = await Infer.RestAsync(gateway.Http, $"/v2/models/{Model}/versions/{Version}/infer").WaitAsync(Bound);
            Assert.True(status == HttpStatusCode.OK, $"call {calls} answered {(int)status}: {body}");
            calls++;
            Assert.True(DateTime.UtcNow < guard, $"the bad worker was not probed {rounds} times within {Bound.TotalSeconds} s");
            await Task.Delay(5);
        }

        if (badOut && bad is not null)
        {
            Assert.Equal(0, bad.InferCalls);
        }

        using var ready = await gateway.Http.GetAsync("/v2/health/ready").WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var metadata = await gateway.Http.GetAsync($"/v2/models/{Model}/versions/{Version}").WaitAsync(Bound);
        var text = await metadata.Content.ReadAsStringAsync();
        Assert.True(metadata.StatusCode == HttpStatusCode.OK, $"metadata: {(int)metadata.StatusCode} {text}");
        Assert.Contains("\"probabilities\"", text, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> AdminVersionAsync(GatewayServer gateway)
    {
        using var doc = JsonDocument.Parse(await gateway.Admin!.GetStringAsync("/admin/models"));
        var model = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == Model);
        return model.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetString() == Version).Clone();
    }

    private static async Task<string[]> AdminModelNamesAsync(GatewayServer gateway)
    {
        using var doc = JsonDocument.Parse(await gateway.Admin!.GetStringAsync("/admin/models"));
        return [.. doc.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()!)];
    }

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }

    // Bytes that are not JSON: an opening brace then random bytes, never closed.
    private static byte[] Garbage(Random random)
    {
        var bytes = new byte[random.Next(1, 200)];
        random.NextBytes(bytes);
        return [(byte)'{', (byte)'"', .. bytes];
    }

    private static string AbsurdIndex(MisbehavingWorker worker, Random random)
    {
        var longText = new string((char)('a' + random.Next(26)), 10_000);
        string[] versions = ["", "../x", "1/../2", longText, "版本", " 1", "1\u0000", "-1"];
        string[] models = ["", "../x", "mödel", longText, "a/b"];
        var entries = versions.Select(v => new { name = Model, version = v, state = "READY" })
            .Concat(models.Select(m => new { name = m, version = "1", state = "READY" }))
            .Append(new { name = Model, version = Version, state = "READY" })
            .OrderBy(_ => random.Next());
        return JsonSerializer.Serialize(entries);
    }

    private static async Task BytesAsync(HttpContext context, byte[] bytes)
    {
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static Task StatusAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsync("""{"error":"no"}""", context.RequestAborted);
    }

    // A valid answer padded with spaces to about `size` bytes: sent chunked, or with its Content-Length.
    private static async Task HugeAsync(HttpContext context, string json, int size, bool withLength = false)
    {
        var padding = new byte[1 << 16];
        padding.AsSpan().Fill((byte)' ');
        var head = Encoding.UTF8.GetBytes(json);
        var chunks = size / padding.Length;
        context.Response.ContentType = "application/json";
        if (withLength)
        {
            context.Response.ContentLength = head.Length + ((long)chunks * padding.Length);
        }

        try
        {
            for (var i = 0; i < chunks; i++)
            {
                await context.Response.Body.WriteAsync(padding, context.RequestAborted);
            }

            await context.Response.Body.WriteAsync(head, context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The gateway stopped reading.
        }
    }

    private static async Task EndlessAsync(HttpContext context)
    {
        var padding = new byte[1 << 16];
        padding.AsSpan().Fill((byte)' ');
        context.Response.ContentType = "application/json";
        try
        {
            await context.Response.Body.WriteAsync("["u8.ToArray(), context.RequestAborted);
            while (true)
            {
                await context.Response.Body.WriteAsync(padding, context.RequestAborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The gateway stopped reading.
        }
    }

    private static async Task TrickleAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        try
        {
            await context.Response.WriteAsync("[", context.RequestAborted);
            while (true)
            {
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(50, context.RequestAborted);
                await context.Response.WriteAsync(" ", context.RequestAborted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The gateway stopped reading.
        }
    }

    private static async Task HangAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The gateway gave up.
        }
    }

    // Headers and part of the body, with a Content-Length for all of it, then the connection is cut.
    private static async Task ResetMidAnswerAsync(HttpContext context, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        context.Abort();
    }

    private static MisbehavingWorker.Faults Redirected(StubWorker good, int status)
    {
        Task To(HttpContext context, string path)
        {
            context.Response.StatusCode = status;
            context.Response.Headers.Location = $"http://127.0.0.1:{good.RestPort}{path}";
            return Task.CompletedTask;
        }

        return new() { Ready = (c, _) => To(c, "/v2/health/ready"), Index = (c, _) => To(c, "/v2/repository/index") };
    }

    private static MisbehavingWorker.Faults Flipping()
    {
        var answers = 0;
        return new()
        {
            Ready = (c, _) =>
            {
                c.Response.StatusCode = Interlocked.Increment(ref answers) % 2 == 0 ? 200 : 503;
                return Task.CompletedTask;
            },
        };
    }

    private static MisbehavingWorker.Faults Changing(MisbehavingWorker worker)
    {
        var answers = 0;
        string[] lists =
        [
            worker.GoodIndex,
            $$"""[{"name":"{{Model}}","version":"{{Version}}","state":"READY"},{"name":"{{Model}}","version":"2","state":"LOADING"}]""",
            "[]",
            $$"""[{"name":"{{Model}}","version":"{{Version}}","state":"UNAVAILABLE","reason":"unloaded"}]""",
        ];
        return new() { Index = (c, _) => MisbehavingWorker.JsonAsync(c, lists[Interlocked.Increment(ref answers) % lists.Length]) };
    }

    // The index lists `count` more ready versions, each of whose metadata never comes; the version the good worker also has answers.
    private static MisbehavingWorker.Faults ManyHanging(MisbehavingWorker worker, int count)
    {
        var index = JsonSerializer.Serialize(Enumerable.Range(2, count).Select(v => new { name = Model, version = v.ToString(System.Globalization.CultureInfo.InvariantCulture), state = "READY" })
            .Append(new { name = Model, version = Version, state = "READY" }));
        return new()
        {
            Index = (c, _) => MisbehavingWorker.JsonAsync(c, index),
            Metadata = (c, w) => c.Request.Path.Value!.EndsWith($"/versions/{Version}", StringComparison.Ordinal) ? MisbehavingWorker.JsonAsync(c, w.GoodMetadata) : HangAsync(c),
        };
    }

    // The system's clock, its timestamps shifted by what a test sets.
    private sealed class ShiftedClock : TimeProvider
    {
        private long _shiftTicks;

        public TimeSpan Shift
        {
            get => TimeSpan.FromTicks(Volatile.Read(ref _shiftTicks));
            set => Volatile.Write(ref _shiftTicks, value.Ticks);
        }

        public override long GetTimestamp() => base.GetTimestamp() + (long)(Shift.TotalSeconds * TimestampFrequency);
    }

    private sealed record Scenario(
        Verdict Verdict, Func<MisbehavingWorker, StubWorker, Random, MisbehavingWorker.Faults> Faults, string? Because = null, Func<MisbehavingWorker, int>? MaxWarnings = null, int Rounds = 3);
}
