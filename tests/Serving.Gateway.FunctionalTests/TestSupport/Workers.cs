using Serving.Testing;

namespace Serving.Gateway.FunctionalTests.TestSupport;

/// <summary>Worker helpers for failure tests.</summary>
internal static class Workers
{
    /// <summary>
    /// Kills a worker the hard way: the host stops with an already-cancelled token, so Kestrel closes
    /// its listeners and aborts every open connection at once, in-flight requests included.
    /// </summary>
    public static Task KillAsync(WorkerServer worker) => worker.App.StopAsync(new CancellationToken(canceled: true));

    /// <summary>A worker of its own serving tabular versions 1 and 2, from a copy of the repository.</summary>
    public static async Task<OwnWorker> StartTabularAsync()
    {
        var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        return new OwnWorker(await WorkerServer.StartAsync(repository.Path), repository);
    }

    /// <summary>
    /// A worker of its own serving only version 3 of tabular (a copy of version 1), to kill as a canary; with
    /// <paramref name="batchingYaml"/>, that is its model.yaml's dynamic_batching section (a long queue delay makes it slow).
    /// </summary>
    public static async Task<OwnWorker> StartTabularVersion3Async(string? batchingYaml = null)
    {
        var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var tabular = Path.Combine(repository.Path, "tabular");
        Directory.Move(Path.Combine(tabular, "1"), Path.Combine(tabular, "3"));
        Directory.Delete(Path.Combine(tabular, "2"), recursive: true);
        if (batchingYaml is not null)
        {
            var yaml = Path.Combine(tabular, "model.yaml");
            await File.WriteAllTextAsync(yaml, ModelYaml.WithSection(await File.ReadAllTextAsync(yaml), "dynamic_batching", batchingYaml));
        }

        return new OwnWorker(await WorkerServer.StartAsync(repository.Path), repository);
    }

    /// <summary>A worker and the repository copy it serves, disposed in that order.</summary>
    public sealed class OwnWorker(WorkerServer worker, TempDirectory repository) : IAsyncDisposable
    {
        public WorkerServer Worker => worker;

        public async ValueTask DisposeAsync()
        {
            await worker.DisposeAsync();
            repository.Dispose();
        }
    }
}
