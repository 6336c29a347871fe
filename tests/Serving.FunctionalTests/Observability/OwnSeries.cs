using Serving.Testing;

namespace Serving.FunctionalTests.Observability;

/// <summary>
/// For tests that read a worker's counters: the registry is process-wide, so a test serves a copy of <c>fixed</c>
/// under a model name no other test uses, and its series are its own.
/// </summary>
internal static class OwnSeries
{
    /// <summary>Copies the test model <c>fixed</c> into <paramref name="repository"/> as <paramref name="model"/>.</summary>
    public static async Task CopyFixedAsAsync(string repository, string model)
    {
        var folder = Path.Combine(repository, model);
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.TestModels, "fixed"), folder);
        var yaml = Path.Combine(folder, "model.yaml");
        await File.WriteAllTextAsync(yaml, (await File.ReadAllTextAsync(yaml)).Replace("name: fixed", $"name: {model}", StringComparison.Ordinal));
    }

    /// <summary>The worker's <c>/metrics</c> scrape.</summary>
    public static async Task<string> ScrapeAsync(WorkerServer server)
    {
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Listeners.MetricsPort}") };
        return await metrics.GetStringAsync("/metrics");
    }
}
