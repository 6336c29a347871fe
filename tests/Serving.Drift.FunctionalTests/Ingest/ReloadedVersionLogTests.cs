using System.Net.Http.Headers;
using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Testing;
using Serving.Worker.PredictionLogs;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>
/// A version reloaded from new files is logged with the new files' feature names, end to end: the inference hands the
/// fingerprint of the version it ran to the log sink (<see cref="PredictionContext.LoadedFrom"/>), and the record
/// layout is described anew when it changes. The unit tests of <see cref="RecordSchemaCache"/> give it the fingerprint
/// themselves; this one sees what a real worker sends to a real drift monitor.
/// </summary>
public sealed class ReloadedVersionLogTests
{
    private const string Token = "s3cret";

    [Fact]
    public async Task VersionReloadedWithRenamedReferenceFeatures_LaterRecordsCarryTheNewNames()
    {
        // The monitor watches no model (an empty repository): every record is archived as it came, none scored.
        using var watched = new TempDirectory();
        await using var drift = await DriftServer.StartAsync(new Dictionary<string, string?> { ["Serving:Drift:ModelRepository"] = watched.Path });
        using var repository = RepoPaths.CopyModels(RepoPaths.Models, "tabular");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:00.100",
            ["Serving:Worker:AdminToken"] = Token,
        });
        var stats = worker.Service<PredictionLogStats>();
        var golden = GoldenFile.Load("tabular", "1");
        var body = golden.RequestBody();
        var rows = (int)golden.InputShape[0]; // a record per row

        await InferAsync(worker, body);
        await Eventually.TrueAsync(() => stats.Acked == rows, "the first request's records acknowledged");

        // Retrained: reference.json names every feature anew, model.onnx is rewritten; a load asked for reloads it.
        var reference = Path.Combine(repository.Path, "tabular", "1", "reference.json");
        await File.WriteAllTextAsync(reference, (await File.ReadAllTextAsync(reference))
            .Replace("\"name\": \"", "\"name\": \"v2_", StringComparison.Ordinal)
            .Replace("\"name\":\"", "\"name\":\"v2_", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(Path.Combine(repository.Path, "tabular", "1", "model.onnx"), DateTime.UtcNow.AddMinutes(5));
        using (var load = new HttpRequestMessage(HttpMethod.Post, "/v2/repository/models/tabular/load"))
        {
            load.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var loaded = await worker.Http.SendAsync(load);
            Assert.Equal(System.Net.HttpStatusCode.OK, loaded.StatusCode);
        }

        await InferAsync(worker, body);
        await Eventually.TrueAsync(() => stats.Acked == 2 * rows, "the second request's records acknowledged");

        var firstNames = drift.ArchivedLines()
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("features").EnumerateObject().First().Name)
            .ToArray();
        Assert.Equal([.. Enumerable.Repeat("mean_radius", rows), .. Enumerable.Repeat("v2_mean_radius", rows)], firstNames);
    }

    private static async Task InferAsync(WorkerServer worker, string body)
    {
        using var response = await worker.Http.PostAsync("/v2/models/tabular/versions/1/infer", new StringContent(body));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
