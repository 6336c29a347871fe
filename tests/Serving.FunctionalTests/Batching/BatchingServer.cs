using Serving.Testing;
using Serving.Worker.Batching;
using Serving.Worker.Models;

namespace Serving.FunctionalTests.Batching;

/// <summary>A worker over copies of models whose model.yaml gets a dynamic_batching section.</summary>
internal static class BatchingServer
{
    public static async Task<(WorkerServer Server, TempDirectory Repository)> StartAsync(string batchingYaml, params string[] models)
    {
        var repo = new TempDirectory();
        foreach (var model in models)
        {
            var source = Directory.Exists(Path.Combine(RepoPaths.Models, model)) ? RepoPaths.Models : RepoPaths.TestModels;
            RepoPaths.CopyDirectory(Path.Combine(source, model), Path.Combine(repo.Path, model));
            await File.AppendAllTextAsync(Path.Combine(repo.Path, model, "model.yaml"), "\ndynamic_batching:\n" + batchingYaml);
        }

        return (await WorkerServer.StartAsync(repo.Path), repo);
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
}
