using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Protocol.Inference;
using Serving.Testing;
using StatusCode = Grpc.Core.StatusCode;

namespace Serving.FunctionalTests.Inference;

/// <summary>
/// A worker of its own for a ModelStreamInfer sweep: tabular served under a model name only one test uses (metric series
/// are process-wide), its log captured (caller input must never log an Error), optionally batched as the test says.
/// </summary>
internal sealed class StreamInferSweepWorker : IAsyncDisposable
{
    public const long MaxRequestBytes = 1024 * 1024;

    private readonly TempDirectory _repository;

    private StreamInferSweepWorker(WorkerServer server, TempDirectory repository, CapturingLoggerProvider logs, string model)
    {
        Server = server;
        _repository = repository;
        Logs = logs;
        Model = model;
    }

    public WorkerServer Server { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>The name tabular is served under here.</summary>
    public string Model { get; }

    public static async Task<StreamInferSweepWorker> StartAsync(string model, string? batchingYaml = null, IDictionary<string, string?>? settings = null)
    {
        var repository = new TempDirectory();
        var folder = Path.Combine(repository.Path, model);
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.Models, "tabular"), folder);
        var yamlPath = Path.Combine(folder, "model.yaml");
        var yaml = (await File.ReadAllTextAsync(yamlPath)).Replace("name: tabular", "name: " + model, StringComparison.Ordinal);
        await File.WriteAllTextAsync(yamlPath, batchingYaml is null ? yaml : ModelYaml.WithSection(yaml, "dynamic_batching", batchingYaml));

        var logs = new CapturingLoggerProvider();
        var config = new Dictionary<string, string?> { ["Serving:Worker:MaxRequestBytes"] = MaxRequestBytes.ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var server = await WorkerServer.StartAsync(repository.Path, config, t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        return new StreamInferSweepWorker(server, repository, logs, model);
    }

    /// <summary>The sum of the worker's <paramref name="name"/> series for this worker's model whose labels hold <paramref name="labels"/>.</summary>
    public async Task<double> MetricAsync(string name, string labels = "")
    {
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Server.Listeners.MetricsPort}") };
        var text = await metrics.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.Contains($"model=\"{Model}\"", StringComparison.Ordinal))
            .Select(l => l + "\n")
            .Sum(l => MetricsExposition.Sum(l, name, labels));
    }

    /// <summary>Waits (bounded) until <paramref name="name"/>'s series of this model reach <paramref name="expected"/>, then asserts they did not pass it.</summary>
    public async Task AssertMetricAsync(string name, string labels, double expected)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        double value;
        while ((value = await MetricAsync(name, labels)) < expected && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        Assert.True(value == expected, $"{name} {{{labels}}} of {Model} is {value}, not {expected}");
    }

    /// <summary>Waits (bounded) until the model's batcher queues hold <paramref name="depth"/> requests.</summary>
    public async Task WaitForQueueAsync(int depth)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        double now;
        while ((now = await MetricAsync("serving_batch_queue_depth")) != depth)
        {
            Assert.True(DateTime.UtcNow < until, $"the queue of {Model} never held {depth} (now {now})");
            await Task.Delay(10);
        }
    }

    /// <summary>Error-level log lines (caller input must never cause one).</summary>
    public IEnumerable<CapturedLog> Errors => Logs.Entries.Where(e => e.Level >= LogLevel.Error);

    /// <summary>The request sent as a unary ModelInfer, to compare a streamed answer with.</summary>
    public async Task<ModelInferResponse> AloneAsync(ModelInferRequest request) =>
        await Server.Grpc.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));

    /// <summary>After a sweep: nothing left in the queue, no Error logged, and a one-message stream is still served.</summary>
    public async Task AssertLeftCleanAsync()
    {
        await WaitForQueueAsync(0);
        Assert.Empty(Errors);
        var (answers, status) = await StreamMutations.SendAsync(Server.Grpc, [StreamMutations.Good(new Random(0), "after", Model, "")], TimeSpan.FromSeconds(30));
        Assert.Equal(StatusCode.OK, status.StatusCode);
        Assert.Equal(("", "after"), (Assert.Single(answers).ErrorMessage, answers[0].InferResponse.Id));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _repository.Dispose();
        Logs.Dispose();
    }
}
