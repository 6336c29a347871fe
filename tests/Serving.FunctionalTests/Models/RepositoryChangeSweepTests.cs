using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Protocol.Inference;
using Serving.Testing;

namespace Serving.FunctionalTests.Models;

/// <summary>
/// The model repository changed on disk while callers hammer the worker over gRPC and REST: versions added, removed,
/// replaced in place (written in two steps), broken and put back, the model folder removed and restored. Every call
/// gets a clean answer or a clear 404 / 503 (NOT_FOUND / UNAVAILABLE) with a message; none hangs, none is a 500 /
/// INTERNAL, no answer names an exception; readiness, metadata and metrics keep answering.
/// </summary>
public sealed class RepositoryChangeSweepTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // How many calls each phase waits for (before, during and after a change); REPOSITORY_SWEEP_CALLS=2000 runs longer.
    private static readonly int Calls = int.TryParse(Environment.GetEnvironmentVariable("REPOSITORY_SWEEP_CALLS"), out var n) ? n : 100;

    private static async Task<(WorkerServer Server, CapturingLoggerProvider Logs)> StartAsync(string repository, string? token = null)
    {
        var logs = new CapturingLoggerProvider();
        var server = await WorkerServer.StartAsync(
            repository,
            new Dictionary<string, string?>
            {
                ["Serving:Worker:RepositoryPollInterval"] = "00:00:00.050",
                ["Serving:Worker:AdminToken"] = token,
            },
            tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        return (server, logs);
    }

    [Fact]
    public async Task NewVersionAdded_WhileCallersHammerTheOld_EveryCallServed()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var (server, logs) = await StartAsync(repo.Path);
        await using (server)
        {
            await using var load = Hammer.Start(server, "tabular", ["1", "2", ""], callers: 16);
            await load.WaitForAsync(Calls);
            RepoPaths.CopyDirectory(Path.Combine(repo.Path, "tabular", "1"), Path.Combine(repo.Path, "tabular", "3"));
            await WaitForStatusAsync(server, "/v2/models/tabular/versions/3/ready", HttpStatusCode.OK);
            await load.WaitForAsync(load.Count + Calls);
            var outcomes = await load.StopAsync();

            Assert.All(outcomes, o => Assert.True(o.Ok, o.ToString()));
            NoUnexpectedErrors(logs);
        }
    }

    [Fact]
    public async Task VersionRemoved_WhileRequestsWaitInItsQueue_EachAnsweredCleanly()
    {
        // A long queue delay: the batches wait, so requests are queued when the folder goes.
        using var repo = await CopyTabularAsync("max_queue_delay_us: 0", "max_queue_delay_us: 100000");
        var (server, logs) = await StartAsync(repo.Path);
        await using (server)
        {
            await using var load = Hammer.Start(server, "tabular", ["2"], callers: 24);
            await load.WaitForAsync(Calls);
            Directory.Delete(Path.Combine(repo.Path, "tabular", "2"), recursive: true);
            await WaitForStatusAsync(server, "/v2/models/tabular/versions/2/ready", HttpStatusCode.NotFound);
            await load.WaitForAsync(load.Count + Calls);
            var outcomes = await load.StopAsync();

            Assert.Contains(outcomes, o => o.Ok);
            Assert.Contains(outcomes, o => o.Code is "404" or "NotFound");
            Assert.All(outcomes, o => Assert.True(o.Clean, o.ToString()));
            NoUnexpectedErrors(logs);
        }
    }

    /// <summary>
    /// Streams (ModelStreamInfer) to a version that is removed while their messages wait in its queue: each message is
    /// answered once, served or with a clear error in the stream, and the streams end OK when their callers close them.
    /// </summary>
    [Fact]
    public async Task VersionRemoved_UnderStreams_EachMessageAnsweredOnce_StreamsEndOk()
    {
        using var repo = await CopyTabularAsync("max_queue_delay_us: 0", "max_queue_delay_us: 50000");
        var (server, logs) = await StartAsync(repo.Path);
        await using (server)
        {
            var sent = 0;
            var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var streams = Enumerable.Range(0, 8).Select(s => Task.Run(async () =>
            {
                using var call = server.Grpc.ModelStreamInfer(cancellationToken: new CancellationTokenSource(Patience + Patience).Token);
                var reading = StreamInferCalls.ReadAllAsync(call);
                var count = 0;
                for (; !removed.Task.IsCompleted || count < 2 * Calls / 8; count++)
                {
                    var request = GoldenFile.Load("tabular", "2").GrpcRequest("tabular", "2");
                    request.Id = $"{s}-{count}";
                    await call.RequestStream.WriteAsync(request);
                    Interlocked.Increment(ref sent);
                    await Task.Delay(1);
                }

                await call.RequestStream.CompleteAsync();
                return (Count: count, Answers: await reading);
            })).ToArray();

            await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref sent) >= Calls));
            Directory.Delete(Path.Combine(repo.Path, "tabular", "2"), recursive: true);
            await WaitForStatusAsync(server, "/v2/models/tabular/versions/2/ready", HttpStatusCode.NotFound);
            removed.SetResult();
            var ended = await Task.WhenAll(streams);

            foreach (var (count, answers) in ended)
            {
                Assert.Equal(count, answers.Count);
                var served = answers.Where(a => a.ErrorMessage.Length == 0).Select(a => a.InferResponse.Id).ToArray();
                Assert.Equal(served.Length, served.Distinct().Count());
                Assert.All(answers.Where(a => a.ErrorMessage.Length > 0), a => Assert.True(
                    a.ErrorMessage.Contains("model 'tabular' has no version '2'", StringComparison.Ordinal)
                        || a.ErrorMessage.Contains("model 'tabular' version 2 is being unloaded", StringComparison.Ordinal)
                        || a.ErrorMessage.Contains("the model version is unloading", StringComparison.Ordinal),
                    a.ErrorMessage));
            }

            Assert.Contains(ended, e => e.Answers.Any(a => a.ErrorMessage.Length > 0));
            NoUnexpectedErrors(logs);
        }
    }

    [Fact]
    public async Task ModelFileReplacedInPlace_InTwoSteps_OldServesUntilTheWholeFileIsThere_ThenTheNew()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var (server, logs) = await StartAsync(repo.Path);
        await using (server)
        {
            var v1 = await FirstOutputAsync(server, "1");
            var v2 = await FirstOutputAsync(server, "2");
            Assert.NotEqual(v1, v2);
            await using var watch = VersionWatch.Start(server);
            await using var load = Hammer.Start(server, "tabular", ["2"], callers: 16);
            await load.WaitForAsync(Calls);

            // v1's model (same inputs and outputs) written over v2's in two steps: the first half, then the whole.
            var bytes = await File.ReadAllBytesAsync(Path.Combine(repo.Path, "tabular", "1", "model.onnx"));
            var target = Path.Combine(repo.Path, "tabular", "2", "model.onnx");
            await using (var file = new FileStream(target, FileMode.Create, FileAccess.Write))
            {
                await file.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await file.FlushAsync();
                await WaitUntilAsync(async () => (await IndexAsync(server)).Contains("keeps serving", StringComparison.Ordinal));
                Assert.Equal(v2, await FirstOutputAsync(server, "2"));
                await file.WriteAsync(bytes.AsMemory(bytes.Length / 2));
            }

            await WaitUntilAsync(async () => await FirstOutputAsync(server, "2") == v1);
            await WaitUntilAsync(async () => !(await IndexAsync(server)).Contains("keeps serving", StringComparison.Ordinal));
            var outcomes = await load.StopAsync();

            Assert.All(outcomes, o => Assert.True(o.Ok, o.ToString()));
            // The instance the new file replaced let its session go once its calls were done: none is left behind.
            var replaced = (await watch.StopAsync()).Where(v => v.Model == "tabular" && v.Version == 2 && v.Runner is not null).ToArray();
            Assert.True(replaced.Length >= 2, $"{replaced.Length} instances of version 2 seen");
            var serving = server.Service<Serving.Worker.Models.ModelRepository>().Table.Models["tabular"].Versions[2];
            await WaitUntilAsync(() => Task.FromResult(replaced.All(v => ReferenceEquals(v, serving) || v.IsDisposed)));
            Assert.False(serving.IsDisposed);
            NoUnexpectedErrors(logs, allowed: LoadFailures);
        }
    }

    [Fact]
    public async Task NewVersionAdded_UnderLatestOnePolicy_CallsWithoutAVersionServedThroughout()
    {
        using var repo = await CopyTabularAsync("{ all: {} }", "{ latest: { num_versions: 1 } }");
        var (server, logs) = await StartAsync(repo.Path);
        await using (server)
        {
            await WaitForStatusAsync(server, "/v2/models/tabular/versions/1/ready", HttpStatusCode.NotFound);
            await using var load = Hammer.Start(server, "tabular", [""], callers: 16);
            await load.WaitForAsync(Calls);
            RepoPaths.CopyDirectory(Path.Combine(repo.Path, "tabular", "1"), Path.Combine(repo.Path, "tabular", "3"));
            await WaitForStatusAsync(server, "/v2/models/tabular/versions/2/ready", HttpStatusCode.NotFound);
            await WaitForStatusAsync(server, "/v2/models/tabular/versions/3/ready", HttpStatusCode.OK);
            await load.WaitForAsync(load.Count + Calls);
            var outcomes = await load.StopAsync();

            // The newest version serves the calls that name none once it is ready, and the one before it until then.
            Assert.All(outcomes, o => Assert.True(o.Ok, o.ToString()));
            NoUnexpectedErrors(logs);
        }
    }

    [Fact]
    public async Task NewVersionHalfCopied_UnderLatestOnePolicy_TheOlderServesUntilItIsWhole()
    {
        using var repo = await CopyTabularAsync("{ all: {} }", "{ latest: { num_versions: 1 } }");
        var (server, logs) = await StartAsync(repo.Path);
        await using (server)
        {
            await using var load = Hammer.Start(server, "tabular", [""], callers: 16);
            await load.WaitForAsync(Calls);

            // Version 3 (v1's model) copied in two steps: the poll finds half of its model.onnx, then the whole.
            var bytes = await File.ReadAllBytesAsync(Path.Combine(repo.Path, "tabular", "1", "model.onnx"));
            var copy = Path.Combine(repo.Path, "tabular", "3", "model.onnx");
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            await using (var file = new FileStream(copy, FileMode.Create, FileAccess.Write))
            {
                await file.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await file.FlushAsync();
                await WaitUntilAsync(async () => (await IndexAsync(server)).Contains("version 3: ONNX Runtime could not load model.onnx", StringComparison.Ordinal));
                await load.WaitForAsync(load.Count + Calls);
                Assert.True(await IsAsync(server, "/v2/models/tabular/versions/2/ready", HttpStatusCode.OK));
                await file.WriteAsync(bytes.AsMemory(bytes.Length / 2));
            }

            await WaitForStatusAsync(server, "/v2/models/tabular/versions/3/ready", HttpStatusCode.OK);
            await WaitForStatusAsync(server, "/v2/models/tabular/versions/2/ready", HttpStatusCode.NotFound);
            await load.WaitForAsync(load.Count + Calls);
            var outcomes = await load.StopAsync();

            Assert.All(outcomes, o => Assert.True(o.Ok, o.ToString()));
            NoUnexpectedErrors(logs, allowed: LoadFailures.Replace("version 2", "version 3", StringComparison.Ordinal));
        }
    }

    public static TheoryData<string> Breakages => ["yaml-invalid", "yaml-half", "onnx-corrupt", "version-is-a-file", "version-dangling-link", "model-removed", "model-dangling-link", "onnx-is-a-folder", "version-link-loop", "model-link-loop", "onnx-link-loop"];

    [Theory]
    [MemberData(nameof(Breakages))]
    public async Task RepositoryBrokenUnderLoad_ThenRestored_CallsAnsweredCleanly_ServesAgain(string breakage)
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var (server, logs) = await StartAsync(repo.Path);
        await using (server)
        {
            var model = Path.Combine(repo.Path, "tabular");
            var aside = Path.Combine(repo.Path, "aside");
            Directory.CreateDirectory(aside);
            await using var load = Hammer.Start(server, "tabular", ["1", "2", ""], callers: 12, probes: true);
            await load.WaitForAsync(Calls);

            var before = await IndexAsync(server);
            Action restore = Break(breakage, model, aside);
            // The worker has seen it: the index lists the version gone, or why the files now there are refused.
            await WaitUntilAsync(async () => await IndexAsync(server) != before);
            await load.WaitForAsync(load.Count + Calls);
            restore();
            await WaitForStatusAsync(server, "/v2/models/tabular/versions/2/ready", HttpStatusCode.OK);
            await WaitUntilAsync(async () => (await FirstOutcomeAsync(server, "2")).Ok);
            await load.WaitForAsync(load.Count + Calls);
            var outcomes = await load.StopAsync();

            Assert.Contains(outcomes, o => o.Ok);
            Assert.All(outcomes, o => Assert.True(o.Clean, o.ToString()));
            NoUnexpectedErrors(logs, allowed: LoadFailures);
        }
    }

    // Breaks the model's folder one way; the action puts it back.
    private static Action Break(string breakage, string model, string aside)
    {
        var version = Path.Combine(model, "2");
        var yaml = Path.Combine(model, "model.yaml");
        var onnx = Path.Combine(version, "model.onnx");
        switch (breakage)
        {
            case "yaml-invalid":
            {
                var text = File.ReadAllText(yaml);
                File.WriteAllText(yaml, "name: tabular\nmax_batch_size: 8\nnot_a_key: 1\n");
                return () => File.WriteAllText(yaml, text);
            }

            case "yaml-half":
            {
                var text = File.ReadAllText(yaml);
                // Cut in a key, as a copy that stopped there leaves it: "outpu" is no key of model.yaml.
                File.WriteAllText(yaml, text[..(text.IndexOf("outputs:", StringComparison.Ordinal) + 5)]);
                return () => File.WriteAllText(yaml, text);
            }

            case "onnx-corrupt":
            {
                var bytes = File.ReadAllBytes(onnx);
                File.WriteAllBytes(onnx, [.. bytes.Take(100), .. Enumerable.Repeat((byte)0xFF, 100)]);
                return () => File.WriteAllBytes(onnx, bytes);
            }

            case "version-is-a-file":
                return PutInPlace(version, Path.Combine(aside, "2"), path => File.WriteAllText(path, "not a folder"));

            case "version-dangling-link":
                return PutInPlace(version, Path.Combine(aside, "2"), path => File.CreateSymbolicLink(path, Path.Combine(aside, "nothing-here")));

            case "model-removed":
                Directory.Move(model, Path.Combine(aside, "tabular"));
                return () => Directory.Move(Path.Combine(aside, "tabular"), model);

            case "model-dangling-link":
                return PutInPlace(model, Path.Combine(aside, "tabular"), path => File.CreateSymbolicLink(path, Path.Combine(aside, "nothing-here")));

            case "version-link-loop":
                return PutInPlace(version, Path.Combine(aside, "2"), path => File.CreateSymbolicLink(path, path));

            case "model-link-loop":
                return PutInPlace(model, Path.Combine(aside, "tabular"), path => File.CreateSymbolicLink(path, path));

            case "onnx-link-loop":
                File.Move(onnx, Path.Combine(aside, "model.onnx"));
                File.CreateSymbolicLink(onnx, onnx);
                return () =>
                {
                    File.Delete(onnx);
                    File.Move(Path.Combine(aside, "model.onnx"), onnx);
                };

            case "onnx-is-a-folder":
                File.Move(onnx, Path.Combine(aside, "model.onnx"));
                Directory.CreateDirectory(onnx);
                return () =>
                {
                    Directory.Delete(onnx);
                    File.Move(Path.Combine(aside, "model.onnx"), onnx);
                };

            default:
                throw new ArgumentOutOfRangeException(nameof(breakage), breakage, null);
        }
    }

    // Moves a folder aside and puts something else (a file, a link) in its place; the action puts the folder back.
    private static Action PutInPlace(string folder, string aside, Action<string> put)
    {
        Directory.Move(folder, aside);
        put(folder);
        return () =>
        {
            File.Delete(folder);
            Directory.Move(aside, folder);
        };
    }

    [Fact]
    public async Task WorkerStopped_WhileAReloadRuns_StopsCleanly()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        for (var round = 0; round < 3; round++)
        {
            var (server, logs) = await StartAsync(repo.Path, token: "s3cret");
            await using var watch = VersionWatch.Start(server);
            await using var load = Hammer.Start(server, "tabular", ["2"], callers: 8);
            await load.WaitForAsync(Calls);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/repository/models/tabular/load");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
            var touch = Path.Combine(repo.Path, "tabular", "2", "model.onnx");
            File.SetLastWriteTimeUtc(touch, DateTime.UtcNow.AddSeconds(round + 1));
            var control = server.Http.SendAsync(request);
            await Task.Delay(round * 20);
            var stop = server.App.StopAsync();
            Assert.True(await Task.WhenAny(stop, Task.Delay(Patience)) == stop, "the worker did not stop");
            await stop;
            try
            {
                (await control).Dispose();
            }
            catch (HttpRequestException)
            {
                // The server went away: fine.
            }

            var outcomes = await load.StopAsync();
            var seen = await watch.StopAsync();
            await server.DisposeAsync();

            // The worker's side of each call is clean; a call the stopping server's connection closed under is the client's error.
            Assert.All(outcomes, o => Assert.True(o.Clean || o.Code is "connection" || o.Message.StartsWith("Error starting gRPC call", StringComparison.Ordinal), o.ToString()));
            NoUnexpectedErrors(logs);
            // Every session the worker made is gone once it has stopped: the one it served, and the one the reload made.
            Assert.All(seen.Where(v => v.Runner is not null), v => Assert.True(v.IsDisposed, $"version {v.Version} ({v.State}) not disposed"));
        }
    }

    // A copy of the tabular model whose model.yaml has one setting changed.
    private static async Task<TempDirectory> CopyTabularAsync(string setting, string changedTo)
    {
        var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var yaml = Path.Combine(repo.Path, "tabular", "model.yaml");
        var text = await File.ReadAllTextAsync(yaml);
        Assert.Contains(setting, text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(yaml, text.Replace(setting, changedTo, StringComparison.Ordinal));
        return repo;
    }

    // What an operator's broken file is logged as (Error, by design: it is theirs to fix), and nothing else.
    private const string LoadFailures = "^Model tabular version 2 is unavailable: |^Model tabular version 2: reload failed |^Model tabular: configuration rejected: ";

    private static void NoUnexpectedErrors(CapturingLoggerProvider logs, string? allowed = null)
    {
        var pattern = allowed is null ? null : new System.Text.RegularExpressions.Regex(allowed);
        var errors = logs.Entries
            .Where(e => e.Level >= LogLevel.Error || e.Exception is ObjectDisposedException or NullReferenceException)
            .Where(e => pattern is null || !pattern.IsMatch(e.Message))
            .ToArray();
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}")));
    }

    private static async Task<double> FirstOutputAsync(WorkerServer server, string version)
    {
        var reply = await server.Grpc.ModelInferAsync(GoldenFile.Load("tabular", "2").GrpcRequest("tabular", version));
        return reply.RawOutputContents.Count > 0 ? BitConverter.ToSingle(reply.RawOutputContents[0].Span) : reply.Outputs[0].Contents.Fp32Contents[0];
    }

    private static async Task<Outcome> FirstOutcomeAsync(WorkerServer server, string version)
    {
        try
        {
            await server.Grpc.ModelInferAsync(GoldenFile.Load("tabular", "2").GrpcRequest("tabular", version));
            return new Outcome("grpc", "OK", "");
        }
        catch (Grpc.Core.RpcException e)
        {
            return new Outcome("grpc", e.StatusCode.ToString(), e.Status.Detail);
        }
    }

    private static async Task<string> IndexAsync(WorkerServer server)
    {
        using var response = await server.Http.PostAsync("/v2/repository/index", null);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetRawText();
    }

    private static async Task<bool> IsAsync(WorkerServer server, string path, HttpStatusCode status)
    {
        using var response = await server.Http.GetAsync(path);
        return response.StatusCode == status;
    }

    private static Task WaitForStatusAsync(WorkerServer server, string path, HttpStatusCode status) =>
        WaitUntilAsync(() => IsAsync(server, path, status));

    // A bounded wait for a state change the server makes on its own schedule; it asserts the state, not the time.
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the expected state was not reached");
            await Task.Delay(20);
        }
    }

    /// <summary>Every version instance the worker's table held while it ran, sampled until stopped.</summary>
    private sealed class VersionWatch : IAsyncDisposable
    {
        private readonly HashSet<Serving.Worker.Models.ModelVersion> _seen = new(ReferenceEqualityComparer.Instance);
        private readonly CancellationTokenSource _stop = new();
        private Task _sampling = Task.CompletedTask;

        public static VersionWatch Start(WorkerServer server)
        {
            var watch = new VersionWatch();
            var repository = server.Service<Serving.Worker.Models.ModelRepository>();
            watch._sampling = Task.Run(async () =>
            {
                while (!watch._stop.IsCancellationRequested)
                {
                    watch.Sample(repository);
                    await Task.Delay(2);
                }

                watch.Sample(repository);
            });
            return watch;
        }

        private void Sample(Serving.Worker.Models.ModelRepository repository)
        {
            foreach (var (_, entry) in repository.Table.Models)
            {
                _seen.UnionWith(entry.Versions.Values);
            }
        }

        public async Task<Serving.Worker.Models.ModelVersion[]> StopAsync()
        {
            await _stop.CancelAsync();
            await _sampling;
            return [.. _seen];
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sampling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
        }
    }

    /// <summary>What one call came to: OK, or a status with its message.</summary>
    internal sealed record Outcome(string Via, string Code, string Message)
    {
        public bool Ok => Code is "OK" or "200";

        /// <summary>OK, or 404 / 503 (NOT_FOUND / UNAVAILABLE) with a message that names no exception.</summary>
        public bool Clean =>
            Ok || (Code is "404" or "503" or "NotFound" or "Unavailable"
                && Message.Length > 0
                && !Message.Contains("xception", StringComparison.Ordinal)
                && !Message.Contains("disposed", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Callers that infer over gRPC and REST in turn (and, with probes, ask readiness, metadata and metrics) until stopped.</summary>
    private sealed class Hammer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<Outcome> _outcomes = new();
        private Task[] _callers = [];
        private HttpClient? _scrape;

        public int Count => _outcomes.Count;

        public static Hammer Start(WorkerServer server, string model, string[] versions, int callers, bool probes = false)
        {
            var hammer = new Hammer();
            var golden = GoldenFile.Load(model, "2");
            var body = golden.RequestBody();
            var scrape = hammer._scrape = TestHttp.Client(new Uri($"http://127.0.0.1:{server.Listeners.MetricsPort}"));
            hammer._callers = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
            {
                var random = new Random(caller);
                for (var i = 0; !hammer._stop.IsCancellationRequested; i++)
                {
                    var version = versions[random.Next(versions.Length)];
                    hammer._outcomes.Enqueue(await OneAsync(server, scrape, model, version, golden, body, probes ? i % 8 : i % 2));
                }
            })).ToArray();
            return hammer;
        }

        private static async Task<Outcome> OneAsync(WorkerServer server, HttpClient scrape, string model, string version, GoldenFile golden, string body, int kind)
        {
            using var bound = new CancellationTokenSource(Patience);
            var path = version.Length == 0 ? $"/v2/models/{model}" : $"/v2/models/{model}/versions/{version}";
            try
            {
                switch (kind)
                {
                    case 0:
                        await server.Grpc.ModelInferAsync(golden.GrpcRequest(model, version), cancellationToken: bound.Token);
                        return new Outcome("grpc infer " + version, "OK", "");
                    case 1:
                        return await RestAsync("rest infer " + version, server.Http.PostAsync(path + "/infer", new StringContent(body), bound.Token));
                    case 2:
                        var ready = await RestAsync("ready " + version, server.Http.GetAsync(path + "/ready", bound.Token));
                        return ready.Code == "503" && ready.Message.Length == 0 ? ready with { Code = "200" } : ready; // not ready: 503 and no body
                    case 3:
                        return await RestAsync("metadata " + version, server.Http.GetAsync(path, bound.Token));
                    case 4 when version.Length > 0:
                        return await RestAsync("stats " + version, server.Http.GetAsync(path + "/stats", bound.Token));
                    case 4:
                        var health = await RestAsync("health", server.Http.GetAsync("/v2/health/ready", bound.Token));
                        return health.Code == "503" ? health with { Code = "200" } : health;
                    case 5:
                        return await RestAsync("metrics", scrape.GetAsync("/metrics", bound.Token));
                    case 6:
                        await server.Grpc.ModelMetadataAsync(new ModelMetadataRequest { Name = model, Version = version }, cancellationToken: bound.Token);
                        return new Outcome("grpc metadata " + version, "OK", "");
                    default:
                        await server.Grpc.ModelReadyAsync(new ModelReadyRequest { Name = model, Version = version }, cancellationToken: bound.Token);
                        return new Outcome("grpc ready " + version, "OK", "");
                }
            }
            catch (Grpc.Core.RpcException e)
            {
                return new Outcome($"grpc {kind} {version}", e.StatusCode.ToString(), e.Status.Detail);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                return new Outcome("rest " + version, bound.IsCancellationRequested ? "hang" : "connection", e.Message);
            }
        }

        private static async Task<Outcome> RestAsync(string via, Task<HttpResponseMessage> send)
        {
            using var response = await send;
            var text = response.IsSuccessStatusCode ? "" : await response.Content.ReadAsStringAsync();
            return new Outcome(via, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), text);
        }

        public async Task WaitForAsync(int count)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (_outcomes.Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the callers made {_outcomes.Count} of {count} calls");
                await Task.Delay(20);
            }
        }

        public async Task<Outcome[]> StopAsync()
        {
            await _stop.CancelAsync();
            var all = Task.WhenAll(_callers);
            Assert.True(await Task.WhenAny(all, Task.Delay(Patience + Patience)) == all, "a caller hung");
            await all;
            return [.. _outcomes];
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_callers).WaitAsync(Patience + Patience).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _stop.Dispose();
            _scrape?.Dispose();
        }
    }
}
