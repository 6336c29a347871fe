using System.Globalization;
using Serving.Testing;
using Serving.Worker.Batching;
using Serving.Worker.Models;

namespace Serving.FunctionalTests.Batching;

/// <summary>A worker over copies of models whose model.yaml gets a dynamic_batching section.</summary>
internal static class BatchingServer
{
    public static Task<(WorkerServer Server, TempDirectory Repository)> StartAsync(string batchingYaml, params string[] models) =>
        StartAsync(batchingYaml, settings: null, models);

    /// <summary>Like <see cref="StartAsync(string, string[])"/>, with worker configuration keys overridden by <paramref name="settings"/>.</summary>
    public static async Task<(WorkerServer Server, TempDirectory Repository)> StartAsync(
        string batchingYaml, IDictionary<string, string?>? settings, params string[] models)
    {
        var repo = await CopyAsync(batchingYaml, models);
        return (await WorkerServer.StartAsync(repo.Path, settings), repo);
    }

    /// <summary>
    /// Like <see cref="StartAsync(string, string[])"/> for one model whose version 1 is served as <paramref name="version"/> alone:
    /// metric series are process-wide, so a version number no other test uses keeps its counters to one test.
    /// </summary>
    public static async Task<(WorkerServer Server, TempDirectory Repository)> StartAsVersionAsync(string batchingYaml, string model, long version)
    {
        var repo = await CopyAsync(batchingYaml, model);
        var modelPath = Path.Combine(repo.Path, model);
        foreach (var dir in Directory.EnumerateDirectories(modelPath).Where(d => Path.GetFileName(d) != "1"))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.Move(Path.Combine(modelPath, "1"), Path.Combine(modelPath, version.ToString(CultureInfo.InvariantCulture)));
        return (await WorkerServer.StartAsync(repo.Path), repo);
    }

    /// <summary>The value of a batching metric's series for one model version on the worker's /metrics; 0 while it has none.</summary>
    public static async Task<double> MetricAsync(WorkerServer server, string name, string model, long version)
    {
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Listeners.MetricsPort}") };
        return MetricsExposition.Value(
            await metrics.GetStringAsync("/metrics"), $"{name}{{model=\"{model}\",version=\"{version.ToString(CultureInfo.InvariantCulture)}\"}}");
    }

    /// <summary>Waits (bounded) until a batching metric reaches <paramref name="expected"/>, then asserts it did not pass it.</summary>
    public static async Task AssertMetricAsync(WorkerServer server, string name, string model, long version, double expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        double value;
        while ((value = await MetricAsync(server, name, model, version)) < expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{name} of {model} {version} never reached {expected} (now {value})");
            await Task.Delay(5);
        }

        Assert.Equal(expected, value);
    }

    public static DynamicBatcher Batcher(WorkerServer server, string model, long version = 1) =>
        server.Service<ModelRepository>().Table.Models[model].Versions[version].Batcher
        ?? throw new InvalidOperationException($"{model} is not batched");

    /// <summary>Waits (bounded) until the batcher's queue holds <paramref name="length"/> requests.</summary>
    public static async Task WaitForQueueAsync(DynamicBatcher batcher, int length)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (batcher.QueueLength != length)
        {
            Assert.True(DateTime.UtcNow < deadline, $"queue never reached {length} (now {batcher.QueueLength})");
            await Task.Delay(5);
        }
    }

    private static async Task<TempDirectory> CopyAsync(string batchingYaml, params string[] models)
    {
        var repo = new TempDirectory();
        foreach (var model in models)
        {
            var source = Directory.Exists(Path.Combine(RepoPaths.Models, model)) ? RepoPaths.Models : RepoPaths.TestModels;
            RepoPaths.CopyDirectory(Path.Combine(source, model), Path.Combine(repo.Path, model));
            var yaml = Path.Combine(repo.Path, model, "model.yaml");
            await File.WriteAllTextAsync(yaml, ModelYaml.WithSection(File.Exists(yaml) ? await File.ReadAllTextAsync(yaml) : "", "dynamic_batching", batchingYaml));
        }

        return repo;
    }
}
