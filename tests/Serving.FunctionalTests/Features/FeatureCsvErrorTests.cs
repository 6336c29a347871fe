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
            Assert.Contains("model 'tabular' version 1: features.csv: the header must name an id column and at least one field", text, StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(csv, good);
        File.SetLastWriteTimeUtc(csv, DateTime.UtcNow.AddSeconds(5)); // a stamp that differs even on a coarse clock
        await server.Service<ModelRepository>().SyncAsync();

        (_, rows, _) = await RepositoryIndexCall.PostAsync(server.Http, null);
        Assert.All(rows.Where(r => r.Name == "tabular"), r => Assert.Equal("READY", r.State));
        using var fixedResponse = await server.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(FeatureTestData.EntityBody([1])));
        Assert.Equal(HttpStatusCode.OK, fixedResponse.StatusCode);
    }
}
