using System.Text.Json;
using Serving.Testing;

namespace Serving.FunctionalTests.Hosting;

/// <summary>
/// The sample repository the CLI finds when nothing is configured (./models, or the repository's models/ above the
/// executable) is only a fallback: a repository set in the environment (<c>Serving__Worker__ModelRepository</c>, as
/// containers do), as a command-line key or in appsettings.json must win over it. Each child process here could
/// find the samples (tabular and digits) above its executable, and is given a repository that holds digits alone.
/// </summary>
public sealed class RepositorySettingTests
{
    [Theory]
    [InlineData("environment")]
    [InlineData("command-line key")]
    [InlineData("appsettings.json")]
    public async Task ServingWorker_RepositoryConfigured_ServesThatRepositoryNotTheSamples(string source)
    {
        using var repo = DigitsOnly();
        using var workingDirectory = new TempDirectory();
        var environment = new Dictionary<string, string>();
        string[] args = ["worker", "--bind", "127.0.0.1", "--rest-port", "0", "--grpc-port", "0", "--metrics-port", "0"];
        switch (source)
        {
            case "environment":
                environment["Serving__Worker__ModelRepository"] = repo.Path;
                break;
            case "command-line key":
                args = [.. args, $"--Serving:Worker:ModelRepository={repo.Path}"];
                break;
            default:
                workingDirectory.Write("appsettings.json", JsonSerializer.Serialize(new { Serving = new { Worker = new { ModelRepository = repo.Path } } }));
                break;
        }

        using var process = await ServingProcess.StartInAsync(workingDirectory.Path, environment, args);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };

        Assert.Equal<string>(["digits"], await IndexedModelsAsync(http));
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task ServingDrift_RepositoryAsCommandLineKey_WatchesThatRepositoryNotTheSamples()
    {
        using var repo = DigitsOnly();
        using var archive = new TempDirectory();
        using var process = await ServingProcess.StartAsync(
            "drift", "--bind", "127.0.0.1", "--rest-port", "0", "--grpc-port", "0", "--archive", archive.Path,
            $"--Serving:Drift:ModelRepository={repo.Path}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{process.RestPort}") };

        using var report = JsonDocument.Parse(await http.GetStringAsync("/v2/drift/report"));
        var watched = report.RootElement.GetProperty("versions").EnumerateArray()
            .Select(v => v.GetProperty("model").GetString() ?? string.Empty).Distinct().ToArray();

        Assert.Equal<string>(["digits"], watched);
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>The model names a server's repository index lists.</summary>
    internal static async Task<string[]> IndexedModelsAsync(HttpClient http)
    {
        using var index = await http.PostAsync("/v2/repository/index", null);
        return [.. JsonDocument.Parse(await index.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
            .Select(m => m.GetProperty("name").GetString() ?? string.Empty).Distinct()];
    }

    /// <summary>A repository holding a copy of the digits sample alone.</summary>
    internal static TempDirectory DigitsOnly()
    {
        var repo = new TempDirectory();
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.Models, "digits"), Path.Combine(repo.Path, "digits"));
        return repo;
    }
}
