using System.Text.Json;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>
/// Containers configure the worker through the environment (<c>Serving__Worker__ModelRepository</c>); the
/// sample repository the CLI finds when nothing is configured must never win over it.
/// </summary>
public sealed class RepositoryFromEnvironmentTests
{
    [Fact]
    public async Task ServingWorker_RepositoryInEnvironment_ServesThatRepositoryNotTheSamples()
    {
        using var repo = new TempDirectory();
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.Models, "digits"), Path.Combine(repo.Path, "digits"));
        using var process = await ServingProcess.StartAsync(
            new Dictionary<string, string> { ["Serving__Worker__ModelRepository"] = repo.Path },
            "worker", "--bind", "127.0.0.1", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };

        using var index = await http.PostAsync("/v2/repository/index", null);
        var names = JsonDocument.Parse(await index.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Select(m => m.GetProperty("name").GetString() ?? string.Empty).Distinct().ToArray();

        Assert.Equal<string>(["digits"], names);
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }
}
