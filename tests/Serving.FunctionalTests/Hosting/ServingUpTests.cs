using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>The README's run command: <c>serving up</c> serves the golden outputs through the gateway and logs to the drift monitor.</summary>
public sealed partial class ServingUpTests
{
    [Fact]
    public async Task ServingUp_GoldenThroughGateway_RecordsReachDriftMonitor_ExitsCleanOnSigterm()
    {
        using var data = new TempDirectory();
        using var process = await StartUpAsync(data.Path);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };
        var golden = GoldenFile.Load("tabular", "1");

        using (var response = await InferUntilOkAsync(http, "/v2/models/tabular/versions/1/infer", golden.RequestBody()))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal("1", response.Headers.GetValues("x-serving-model-version").Single());
            var values = JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (var i = 0; i < values.Length; i++)
            {
                Assert.True(Math.Abs(golden.Expected[i] - values[i]) <= 1e-5, $"element {i}");
            }
        }

        // No ingest token: up says the drift monitor's ingest is open, on loopback.
        Assert.Contains("serving up: drift   ingest gRPC 127.0.0.1:", process.Output, StringComparison.Ordinal);
        Assert.Contains("(ingest open to anyone who reaches it: no Serving:Drift:IngestToken)", process.Output, StringComparison.Ordinal);

        // The 16 rows reach the drift monitor's archive.
        await WaitForArchivedAsync(data.Path, "tabular", process);

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>
    /// Serving:Drift:IngestToken given to up: the drift monitor takes only streams with it, and up's worker sends it, so
    /// records still reach the archive. Without one up says the ingest is open (on loopback).
    /// </summary>
    [Fact]
    public async Task ServingUp_DriftIngestToken_TheWorkerSendsIt_RecordsReachTheArchive()
    {
        using var data = new TempDirectory();
        using var process = await ServingProcess.StartAsync(
            new Dictionary<string, string> { ["Serving__Drift__IngestToken"] = "up-ingest-token-0123456789" },
            "up", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--drift-grpc-port", "0", "--drift-rest-port", "0", "--drift-archive", data.Path);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };
        (await InferUntilOkAsync(http, "/v2/models/tabular/versions/1/infer", GoldenFile.Load("tabular", "1").RequestBody())).Dispose();

        await WaitForArchivedAsync(data.Path, "tabular", process);

        Assert.Contains("serving up: drift   ingest gRPC 127.0.0.1:", process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ingest open", process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("UNAUTHENTICATED", process.Output, StringComparison.Ordinal);
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>
    /// up's own defaults (gateway on 8000, the drift archive in ./data/prediction-logs, the samples found above the
    /// executable) lose to appsettings.json, the environment and command-line keys, as every other default does.
    /// </summary>
    [Fact]
    public async Task ServingUp_SettingsFromConfiguration_WinOverUpsDefaults()
    {
        using var repo = RepositorySettingTests.DigitsOnly();
        using var workingDirectory = new TempDirectory();
        using var archive = new TempDirectory();
        workingDirectory.Write("appsettings.json", JsonSerializer.Serialize(new
        {
            Serving = new { Worker = new { ModelRepository = repo.Path }, Gateway = new { RestPort = 0 } },
        }));
        using var process = await ServingProcess.StartInAsync(
            workingDirectory.Path,
            new Dictionary<string, string> { ["Serving__Drift__Archive__Directory"] = archive.Path },
            "up", "--Serving:Gateway:GrpcPort=0", "--Serving:Gateway:MetricsPort=0", "--Serving:Drift:GrpcPort=0", "--Serving:Drift:RestPort=0");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };

        Assert.NotEqual(8000, process.RestPort);
        (await InferUntilOkAsync(http, "/v2/models/digits/infer", GoldenFile.Load("digits", "1").RequestBody())).Dispose();

        Assert.Equal<string>(["digits"], await RepositorySettingTests.IndexedModelsAsync(http));
        await WaitForArchivedAsync(archive.Path, "digits", process);

        Assert.False(Directory.Exists(Path.Combine(workingDirectory.Path, "data", "prediction-logs")), "up's default archive folder was made");
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>
    /// SIGTERM under load: the gateway stops first, then the worker flushes its last prediction logs to the drift monitor,
    /// which stops last. Every answered request's rows are in the archive (each host used to stop on the signal at once,
    /// and the drift monitor refused the worker's last batches).
    /// </summary>
    [Fact]
    public async Task ServingUp_SigtermUnderLoad_EveryAnsweredRequestsRowsAreArchived()
    {
        using var data = new TempDirectory();
        using var process = await StartUpAsync(data.Path);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };
        var body = GoldenFile.Load("tabular", "1").RequestBody();
        long answered = 0, sent = 0;
        using var stop = new CancellationTokenSource();

        async Task CallerAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref sent);
                try
                {
                    using var response = await http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body), stop.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref answered);
                    }
                    else
                    {
                        await Task.Delay(20, stop.Token);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    // The gateway is going (or gone): no answer, so no rows owed.
                    await Task.Delay(20, CancellationToken.None);
                }
            }
        }

        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(CallerAsync)).ToArray();
        while (Interlocked.Read(ref answered) < 300)
        {
            await Task.Delay(50);
        }

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        var archived = Directory.EnumerateFiles(data.Path, "*.jsonl", SearchOption.AllDirectories).Sum(f => File.ReadLines(f).LongCount());
        Assert.True(archived >= 16 * answered, $"{answered} answered requests of 16 rows, {archived} rows archived\n" + process.Output);
        Assert.True(archived <= 16 * sent, $"{sent} requests sent, {archived} rows archived");
    }

    /// <summary>
    /// SIGTERM runs each role's shutdown once, and only the gateway waits the readiness grace period given to up: its worker
    /// and drift monitor are reached through the gateway alone, and stop after it has closed its listeners. The gateway
    /// was stopped twice (its grace waited twice, four "Shutting down" lines for three roles) and the worker and drift
    /// monitor waited the grace too, so a grace of G took 4 G to exit.
    /// </summary>
    [Fact]
    public async Task ServingUp_Sigterm_EachRoleShutsDownOnce_OnlyTheGatewayWaitsTheGrace()
    {
        using var data = new TempDirectory();
        using var process = await ServingProcess.StartAsync(
            "up", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--drift-grpc-port", "0", "--drift-rest-port", "0", "--drift-archive", data.Path, "--Serving:Shutdown:ReadinessGracePeriod=00:00:01");

        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var graces = ShuttingDownLine().Matches(process.Output).Select(m => m.Groups["ms"].Value).ToArray();
        Assert.True(graces is ["1000", "0", "0"], $"grace per shutdown line, gateway first: [{string.Join(", ", graces)}]\n" + process.Output);
    }

    [GeneratedRegex(@"Shutting down: readiness is false; waiting (?<ms>\d+) ms")]
    private static partial Regex ShuttingDownLine();

    // `serving up` on the repository's models, every port chosen by the system, the archive in archive.
    /// <summary>
    /// Posts <paramref name="body"/> until it is answered 200 (the gateway learns the worker within its discovery interval:
    /// the first calls may be 503), at most 100 times; the last answer's body is the failure message.
    /// </summary>
    private static async Task<HttpResponseMessage> InferUntilOkAsync(HttpClient http, string path, string body)
    {
        HttpResponseMessage? response = null;
        for (var i = 0; i < 100 && response?.StatusCode != HttpStatusCode.OK; i++)
        {
            response?.Dispose();
            response = await http.PostAsync(path, new StringContent(body));
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }

        if (response!.StatusCode != HttpStatusCode.OK)
        {
            using (response)
            {
                Assert.Fail($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        return response;
    }

    /// <summary>Waits (at most 30 s) until a file under <paramref name="archive"/> holds a record of <paramref name="model"/>.</summary>
    private static async Task WaitForArchivedAsync(string archive, string model, ServingProcess process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Directory.EnumerateFiles(archive, "*", SearchOption.AllDirectories).Any(f => File.ReadAllText(f).Contains(model, StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no prediction log of {model} reached the archive in {archive}\n" + process.Output);
            await Task.Delay(100);
        }
    }

    private static Task<ServingProcess> StartUpAsync(string archive) =>
        ServingProcess.StartAsync(
            "up", "--models", RepoPaths.Models, "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--drift-grpc-port", "0", "--drift-rest-port", "0", "--drift-archive", archive);
}
