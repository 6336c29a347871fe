using Microsoft.Extensions.Options;
using Serving.Worker.Configuration;
using Serving.Worker.Models;
using Serving.Worker.PredictionLogs;
using Serving.Worker.Tests.Models;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.PredictionLogs;

public sealed class RecordSchemaCacheTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ModelRepository _repository;
    private readonly RecordSchemaCache _cache;

    public RecordSchemaCacheTests()
    {
        _repository = ModelRepositoryTests.NewRepository(_temp.Path, new RecordingLogger<ModelVersionLoader>(), new RecordingLogger<ModelRepository>());
        _cache = RecordSchemaCache.ForRepository(_repository, Options.Create(new WorkerOptions { ModelRepository = _temp.Path }));
    }

    public void Dispose()
    {
        _repository.Dispose();
        _temp.Dispose();
    }

    /// <summary>
    /// A version reloaded from new files (a retrained model.onnx with its reference.json) is described again: its
    /// records kept the first load's feature names until the worker restarted (seen: tabular version 1 reloaded with every
    /// reference.json name prefixed "v2_" was still logged with "mean_radius", …).
    /// </summary>
    [Fact]
    public async Task VersionReloadedWithANewReferenceProfile_RecordsTakeItsNames()
    {
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.Models, "tabular"), _temp.Combine("tabular"));
        await _repository.SyncAsync();
        Assert.Equal("mean_radius", _cache.Resolve(Prediction())!.Schema.FeatureNames[0]);

        var reference = _temp.Combine("tabular", "1", "reference.json");
        File.WriteAllText(reference, File.ReadAllText(reference).Replace("\"name\": \"", "\"name\": \"v2_", StringComparison.Ordinal).Replace("\"name\":\"", "\"name\":\"v2_", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(_temp.Combine("tabular", "1", "model.onnx"), DateTime.UtcNow.AddMinutes(5));
        await _repository.SyncAsync();
        Assert.Equal(ModelVersionState.Ready, _repository.Table.Models["tabular"].Versions[1].State);

        Assert.Equal("v2_mean_radius", _cache.Resolve(Prediction())!.Schema.FeatureNames[0]);
        Assert.Equal("v2_mean_radius", _cache.Resolve(Prediction())!.Schema.FeatureNames[0]);
    }

    /// <summary>
    /// A named pipe in place of reference.json reads as empty, unopened: the first logged prediction of the version opened
    /// it, and that prediction (and every one after it) waited for a writer. Its records go without the profile's names.
    /// </summary>
    [Fact]
    public async Task ReferenceJsonIsAPipe_ThePredictionIsLoggedWithoutItsNames_NothingWaits()
    {
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.Models, "tabular"), _temp.Combine("tabular"));
        var reference = _temp.Combine("tabular", "1", "reference.json");
        File.Delete(reference);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [reference]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        await _repository.SyncAsync();

        // On a thread of its own, so a read that blocks fails the test at 30 s instead of hanging it.
        var layout = await Task.Run(() => _cache.Resolve(Prediction())).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(layout);
        Assert.DoesNotContain("mean_radius", layout.Schema.FeatureNames);
    }

    [Fact]
    public async Task VersionNotReloaded_ItsDescriptionIsReused()
    {
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.Models, "tabular"), _temp.Combine("tabular"));
        await _repository.SyncAsync();
        var first = _cache.Resolve(Prediction());

        await _repository.SyncAsync();

        Assert.Same(first, _cache.Resolve(Prediction()));
    }

    // A prediction of tabular version 1 as the inference records it: with the fingerprint of the version loaded now.
    private PredictionContext Prediction() =>
        Predictions.Rows(1, features: 30, model: "tabular", version: "1") with { LoadedFrom = _repository.Table.Models["tabular"].Versions[1].Fingerprint };
}
