using System.Net;
using Serving.Testing;
using Serving.Worker.Models;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// The in-memory feature store (no Redis) reads each model's features.csv. A header that isn't an id column and fields
/// makes the versions UNAVAILABLE with the reason, and fixing the file loads them: before, they stayed LOADING for ever
/// ("the repository entry could not be read (FormatException)"), and only touching model.yaml brought them back.
/// </summary>
public sealed class FeatureCsvErrorTests
{
    [Fact]
    public async Task CsvHeaderMalformed_VersionsUnavailableWithReason_FixedFileLoadsThem()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var csv = Path.Combine(repo.Path, "tabular", "features.csv");
        var good = await File.ReadAllTextAsync(csv);
        await File.WriteAllTextAsync(csv, "garbage,,,\n1,2,3,4\n");
        await using var server = await WorkerServer.StartAsync(repo.Path);

        var (_, rows, _) = await RepositoryIndexCall.PostAsync(server.Http, null);
        Assert.All(rows.Where(r => r.Name == "tabular"), r => Assert.Equal("UNAVAILABLE", r.State));
        using (var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([1]))))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("model 'tabular' version 1 failed to load: features.csv: the header must name an id column and at least one field", text, StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(csv, good);
        File.SetLastWriteTimeUtc(csv, DateTime.UtcNow.AddSeconds(5)); // a stamp that differs even on a coarse clock
        await server.Service<ModelRepository>().SyncAsync();

        (_, rows, _) = await RepositoryIndexCall.PostAsync(server.Http, null);
        Assert.All(rows.Where(r => r.Name == "tabular"), r => Assert.Equal("READY", r.State));
        using var fixedResponse = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([1])));
        Assert.Equal(HttpStatusCode.OK, fixedResponse.StatusCode);
    }

    /// <summary>
    /// A header that names none of the model's fields: before, the versions were READY and every entity call answered all
    /// rows defaulted, with nothing logged (serving features load refused the same file).
    /// </summary>
    [Fact]
    public async Task CsvHeaderLacksTheModelsFields_VersionsUnavailableWithReason()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await File.WriteAllTextAsync(Path.Combine(repo.Path, "tabular", "features.csv"), "a,b\n1,2\n");
        await using var server = await WorkerServer.StartAsync(repo.Path);

        var (_, rows, _) = await RepositoryIndexCall.PostAsync(server.Http, null);
        Assert.All(rows.Where(r => r.Name == "tabular"), r => Assert.Equal("UNAVAILABLE", r.State));
        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([1])));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("model 'tabular' version 1 failed to load: features.csv: the CSV header lacks the model's fields: mean_radius, mean_texture", text, StringComparison.Ordinal);
    }

    /// <summary>A features.csv rewritten with such a header is a failed reload: the loaded versions keep serving their data.</summary>
    [Fact]
    public async Task CsvRewrittenWithoutTheModelsFields_LoadedVersionsKeepServing()
    {
        using var repo = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        var csv = Path.Combine(repo.Path, "tabular", "features.csv");
        await using var server = await WorkerServer.StartAsync(repo.Path);

        await File.WriteAllTextAsync(csv, "a,b\n1,2\n");
        File.SetLastWriteTimeUtc(csv, DateTime.UtcNow.AddSeconds(5)); // a stamp that differs even on a coarse clock
        await server.Service<ModelRepository>().SyncAsync();

        var (_, rows, _) = await RepositoryIndexCall.PostAsync(server.Http, null);
        Assert.All(rows.Where(r => r.Name == "tabular"), r => Assert.Equal("READY", r.State));
        using var response = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([1])));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("features_defaulted_rows", text, StringComparison.Ordinal);
    }
}
