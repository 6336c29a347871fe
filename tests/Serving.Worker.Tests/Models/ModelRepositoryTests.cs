using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serving.Worker.Batching;
using Serving.Worker.Configuration;
using Serving.Worker.Metrics;
using Serving.Worker.Models;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Models;

public sealed class ModelRepositoryTests : IDisposable
{
    private const string FixedYaml = """
        name: fixed
        max_batch_size: 0
        version_policy: { all: {} }
        inputs:
          - { name: x, datatype: FP32, shape: [4] }
        outputs:
          - { name: y, datatype: FP32, shape: [4] }
        """;

    private readonly TempDirectory _temp = new();
    private readonly RecordingLogger<ModelVersionLoader> _loaderLog = new();
    private readonly RecordingLogger<ModelRepository> _repositoryLog = new();
    private readonly ModelRepository _repository;

    public ModelRepositoryTests() => _repository = NewRepository(_temp.Path, _loaderLog, _repositoryLog);

    public void Dispose()
    {
        _repository.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task SyncAsync_TabularRepository_LoadsBothVersionsReady()
    {
        CopyModel(RepoPaths.Models, "tabular");

        await _repository.SyncAsync();

        var entry = _repository.Table.Models["tabular"];
        Assert.Null(entry.ConfigError);
        Assert.Equal([1L, 2L], entry.Versions.Keys);
        Assert.All(entry.Versions.Values, v => Assert.Equal(ModelVersionState.Ready, v.State));
        Assert.Equal(2, entry.LatestReady()!.Version);
        Assert.Equal("input", Assert.Single(entry.Versions[2].Runner!.Signature.Inputs).Name);
    }

    [Fact]
    public async Task SyncAsync_MissingRoot_LeavesTableEmpty()
    {
        Directory.Delete(_temp.Path);

        await _repository.SyncAsync();

        Assert.Empty(_repository.Table.Models);
    }

    /// <summary>
    /// The repository folder gone for a while (unmounted, or swapped by two renames) leaves the loaded models serving, as
    /// Triton's failed poll changes nothing: every model was unloaded, and callers got 404 until it was back (seen:
    /// `mv repo repo_away; sleep 7; mv repo_away repo` under load, 691 of 1262 calls 404).
    /// </summary>
    [Fact]
    public async Task SyncAsync_RepositoryFolderGoneWhileServing_TheLoadedModelsKeepServing_SaidOnce()
    {
        CopyModel(RepoPaths.Models, "tabular");
        await _repository.SyncAsync();
        var loaded = _repository.Table.Models["tabular"].Versions[2];
        var aside = _temp.Path + "-aside";

        Directory.Move(_temp.Path, aside);
        try
        {
            await _repository.SyncAsync();
            await _repository.SyncAsync();

            Assert.Same(loaded, _repository.Table.Models["tabular"].Versions[2]);
            Assert.Equal(ModelVersionState.Ready, loaded.State);
            Assert.False(loaded.IsDisposed);
            Assert.Single(_repositoryLog.Messages, m => m == $"Model repository {_temp.Path} does not exist: the 1 models loaded keep serving as they are until it is back (polled)");
        }
        finally
        {
            Directory.Move(aside, _temp.Path);
        }

        await _repository.SyncAsync();
        Assert.Same(loaded, _repository.Table.Models["tabular"].Versions[2]);
        Assert.Contains($"Model repository {_temp.Path} is back; syncing the models with it", _repositoryLog.Messages);
    }

    [Fact]
    public async Task SyncAsync_NothingChanged_KeepsSameVersions()
    {
        CopyModel(RepoPaths.Models, "tabular");
        await _repository.SyncAsync();
        var before = _repository.Table.Models["tabular"].Versions[1];

        await _repository.SyncAsync();

        Assert.Same(before, _repository.Table.Models["tabular"].Versions[1]);
        Assert.False(before.IsDisposed);
    }

    [Fact]
    public async Task SyncAsync_VersionFolderAdded_PublishesLoadingThenReady()
    {
        CopyModel(RepoPaths.Models, "tabular");
        await _repository.SyncAsync();
        var statesWhileLoading = new List<ModelVersionState?>();
        _loaderLog.OnLog = _ => statesWhileLoading.Add(
            _repository.Table.Models["tabular"].Versions.GetValueOrDefault(3)?.State);
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.Models, "tabular", "2"), _temp.Combine("tabular", "3"));

        await _repository.SyncAsync();

        // The loader logs once for version 3, at which point the table already lists it as LOADING.
        Assert.Equal([ModelVersionState.Loading], statesWhileLoading);
        var entry = _repository.Table.Models["tabular"];
        Assert.Equal([1L, 2L, 3L], entry.Versions.Keys);
        Assert.Equal(ModelVersionState.Ready, entry.Versions[3].State);
        Assert.Equal(3, entry.LatestReady()!.Version);
    }

    [Fact]
    public async Task SyncAsync_VersionFolderRemoved_DropsAndRetiresVersion()
    {
        CopyModel(RepoPaths.Models, "tabular");
        await _repository.SyncAsync();
        var removed = _repository.Table.Models["tabular"].Versions[1];
        var kept = _repository.Table.Models["tabular"].Versions[2];

        Directory.Delete(_temp.Combine("tabular", "1"), recursive: true);
        await _repository.SyncAsync();

        Assert.Equal([2L], _repository.Table.Models["tabular"].Versions.Keys);
        Assert.Equal(ModelVersionState.Unloading, removed.State);
        Assert.True(removed.IsDisposed);
        Assert.False(removed.TryAcquire());
        Assert.Same(kept, _repository.Table.Models["tabular"].Versions[2]);
        Assert.False(kept.IsDisposed);
        Assert.Single(_repositoryLog.Messages, m => m == "Model tabular version 1 unloaded: its folder is gone");
    }

    [Fact]
    public async Task SyncAsync_VersionRemovedWhileLeased_DisposesOnRelease()
    {
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        var version = _repository.Table.Models["fixed"].Versions[1];
        Assert.True(version.TryAcquire());

        Directory.Delete(_temp.Combine("fixed", "1"), recursive: true);
        await _repository.SyncAsync();

        Assert.Empty(_repository.Table.Models["fixed"].Versions);
        Assert.False(version.IsDisposed);
        version.Release();
        Assert.True(version.IsDisposed);
    }

    [Fact]
    public async Task SyncAsync_ModelFolderRemoved_RemovesModelAndRetiresVersions()
    {
        CopyModel(RepoPaths.Models, "tabular");
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        var versions = _repository.Table.Models["tabular"].Versions.Values.ToArray();

        Directory.Delete(_temp.Combine("tabular"), recursive: true);
        await _repository.SyncAsync();

        Assert.Equal(["fixed"], _repository.Table.Models.Keys);
        Assert.All(versions, v => Assert.True(v.IsDisposed));
    }

    [Fact]
    public async Task SyncAsync_ConfigBecomesInvalid_KeepsServingAndReportsConfigError()
    {
        CopyModel(RepoPaths.Models, "tabular");
        await _repository.SyncAsync();
        var before = _repository.Table.Models["tabular"];

        File.AppendAllText(_temp.Combine("tabular", "model.yaml"), "\nmax_batch_sise: 8\n");
        await _repository.SyncAsync();
        Assert.Null(_repository.Table.Models["tabular"].ConfigError); // still settling: a file being written isn't read yet
        await _repository.SyncAsync();

        var entry = _repository.Table.Models["tabular"];
        Assert.NotNull(entry.ConfigError);
        Assert.Contains("'max_batch_sise'", entry.ConfigError);
        Assert.DoesNotContain(_temp.Path, entry.ConfigError);
        Assert.Equal([1L, 2L], entry.Versions.Keys);
        Assert.Same(before.Versions[2], entry.Versions[2]);
        Assert.Equal(ModelVersionState.Ready, entry.Versions[2].State);
        Assert.True(entry.Versions[2].TryAcquire());
        entry.Versions[2].Release();
    }

    [Fact]
    public async Task Acquire_WhileReloadsReplaceTheVersion_NeverRefuses()
    {
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        var resolver = new Serving.Worker.Inference.ModelResolver(_repository);
        using var stop = new CancellationTokenSource();
        var refused = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long leases = 0;
        var callers = Enumerable.Range(0, 3).Select(_ => Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var lease = resolver.Acquire("fixed", null);
                    Interlocked.Increment(ref leases);
                }
                catch (Serving.Protocol.Errors.InferenceException e)
                {
                    refused.Enqueue(e.Message);
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        while (Interlocked.Read(ref leases) == 0)
        {
            await Task.Delay(1);
        }

        var instances = new HashSet<ModelVersion>(ReferenceEqualityComparer.Instance) { _repository.Table.Models["fixed"].Versions[1] };
        for (var i = 0; i < 30; i++)
        {
            File.AppendAllText(_temp.Combine("fixed", "model.yaml"), $"\n# edit {i}\n");
            await _repository.SyncAsync();
            await _repository.SyncAsync(); // a changed config applies once it held still for one poll
            instances.Add(_repository.Table.Models["fixed"].Versions[1]);
        }

        await stop.CancelAsync();
        await Task.WhenAll(callers);
        Assert.True(instances.Count >= 20, $"only {instances.Count - 1} reloads");
        Assert.True(Interlocked.Read(ref leases) > 0);
        Assert.True(refused.IsEmpty, $"{refused.Count} refused, e.g. {refused.FirstOrDefault()}");
    }

    [Fact]
    public async Task SyncAsync_ConfigFixedAgain_ClearsConfigError()
    {
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        File.WriteAllText(_temp.Combine("fixed", "model.yaml"), "name: other\n");
        await _repository.SyncAsync();
        await _repository.SyncAsync(); // a changed config applies once it held still for one poll
        Assert.Contains("'name'", _repository.Table.Models["fixed"].ConfigError);

        File.WriteAllText(_temp.Combine("fixed", "model.yaml"), FixedYaml);
        await _repository.SyncAsync();
        await _repository.SyncAsync();

        var entry = _repository.Table.Models["fixed"];
        Assert.Null(entry.ConfigError);
        Assert.Equal(ModelVersionState.Ready, entry.Versions[1].State);
    }

    [Fact]
    public async Task SyncAsync_NewModelWithInvalidConfig_ListsModelWithConfigErrorAndNoVersions()
    {
        CopyFixed("name: fixed\nmax_batch_size: -4\n");

        await _repository.SyncAsync();

        var entry = _repository.Table.Models["fixed"];
        Assert.Contains("'max_batch_size'", entry.ConfigError);
        Assert.Empty(entry.Versions);
    }

    [Fact]
    public async Task SyncAsync_EmptyTensorListItem_ReportsConfigErrorAndSyncsOtherModels()
    {
        CopyModel(RepoPaths.Models, "tabular");
        CopyFixed(FixedYaml + "\n  -\n");

        var e = await Record.ExceptionAsync(() => _repository.SyncAsync());

        Assert.Null(e);
        Assert.NotNull(_repository.Table.Models["fixed"].ConfigError);
        Assert.Equal(ModelVersionState.Ready, _repository.Table.Models["tabular"].Versions[2].State);
    }

    [Fact]
    public async Task SyncAsync_InitialLoad_PublishesReadyStateSeries()
    {
        CopyFixed(FixedYaml, name: "metrics_initial");

        await _repository.SyncAsync();

        Assert.Contains(
            """serving_model_version_state{model="metrics_initial",version="1",state="READY"} 1""",
            await PrometheusText.LinesAsync("serving_model_version_state"));
    }

    [Fact]
    public async Task SyncAsync_ModelFileReplaced_KeepsReadyStateSeries()
    {
        CopyFixed(FixedYaml, name: "metrics_reload");
        await _repository.SyncAsync();

        File.SetLastWriteTimeUtc(_temp.Combine("metrics_reload", "1", "model.onnx"), DateTime.UtcNow.AddMinutes(5));
        await _repository.SyncAsync();

        Assert.Equal(ModelVersionState.Ready, _repository.Table.Models["metrics_reload"].Versions[1].State);
        Assert.Contains(
            """serving_model_version_state{model="metrics_reload",version="1",state="READY"} 1""",
            await PrometheusText.LinesAsync("serving_model_version_state"));
    }

    [Fact]
    public async Task SyncAsync_CorruptModel_UnavailableWithPathFreeReason()
    {
        CopyModel(RepoPaths.TestModels, "corrupt");

        await _repository.SyncAsync();

        var version = _repository.Table.Models["corrupt"].Versions[1];
        Assert.Equal(ModelVersionState.Unavailable, version.State);
        Assert.Null(version.Runner);
        Assert.Contains("model.onnx", version.Reason);
        Assert.DoesNotContain(_temp.Path, version.Reason);
        Assert.DoesNotContain(Path.GetTempPath(), version.Reason);
        Assert.False(version.TryAcquire());
    }

    [Fact]
    public async Task SyncAsync_ConfigInputNotInGraph_UnavailableNamingInput()
    {
        CopyModel(RepoPaths.TestModels, "mismatch");

        await _repository.SyncAsync();

        var version = _repository.Table.Models["mismatch"].Versions[1];
        Assert.Equal(ModelVersionState.Unavailable, version.State);
        Assert.Contains("'wrong_name'", version.Reason);
    }

    [Fact(Skip = BuildFlavor.SkipUnlessCpuOnly)]
    public async Task SyncAsync_CudaOnCpuOnlyBuild_UnavailableWithHowTo()
    {
        CopyFixed(FixedYaml + "\nruntime: { execution_provider: cuda }\n");

        await _repository.SyncAsync();

        var version = _repository.Table.Models["fixed"].Versions[1];
        Assert.Equal(ModelVersionState.Unavailable, version.State);
        Assert.Contains("-p:OnnxRuntimeGpu=true", version.Reason);
    }

    [Fact]
    public async Task SyncAsync_AutoProviderOnCpuOnlyBuild_RunsOnCpu()
    {
        CopyFixed(FixedYaml + "\nruntime: { execution_provider: auto }\n");

        await _repository.SyncAsync();

        var version = _repository.Table.Models["fixed"].Versions[1];
        Assert.Equal(ModelVersionState.Ready, version.State);
#if !ONNXRUNTIME_GPU
        Assert.Equal("cpu", version.Runner!.Provider);
#endif
    }

    [Fact]
    public async Task UnloadAsync_ThenSync_StaysUnloadedUntilLoadAsync()
    {
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        var loaded = _repository.Table.Models["fixed"].Versions[1];

        Assert.True(await _repository.UnloadAsync("fixed"));
        Assert.False(_repository.Table.Models.ContainsKey("fixed"));
        Assert.True(loaded.IsDisposed);

        await _repository.SyncAsync();
        await _repository.SyncAsync("fixed");
        Assert.False(_repository.Table.Models.ContainsKey("fixed"));

        Assert.Equal(ModelLoad.Loaded, await _repository.LoadAsync("fixed"));
        Assert.Equal(ModelVersionState.Ready, _repository.Table.Models["fixed"].Versions[1].State);
        await _repository.SyncAsync();
        Assert.True(_repository.Table.Models.ContainsKey("fixed"));
    }

    [Fact]
    public async Task UnloadAsync_UnknownModel_False()
    {
        Assert.False(await _repository.UnloadAsync("nothing"));
    }

    [Theory]
    [InlineData("nothing")]
    [InlineData("..")]
    [InlineData("../fixed")]
    public async Task LoadAsync_MissingOrUnsafeName_False(string name)
    {
        CopyFixed(FixedYaml);

        Assert.Equal(ModelLoad.NotFound, await _repository.LoadAsync(name));
        Assert.Empty(_repository.Table.Models);
    }

    [Fact]
    public async Task SyncAsync_LatestOneOfThree_ServesOnlyNewest()
    {
        CopyFixed(FixedYaml.Replace("{ all: {} }", "{ latest: { num_versions: 1 } }", StringComparison.Ordinal));
        AddFixedVersion(2);
        AddFixedVersion(3);

        await _repository.SyncAsync();

        var entry = _repository.Table.Models["fixed"];
        Assert.Equal([3L], entry.Versions.Keys);
        Assert.Equal(ModelVersionState.Ready, entry.Versions[3].State);
    }

    [Fact]
    public async Task SyncAsync_NewerVersionAddedUnderLatestOne_RetiresOlder()
    {
        CopyFixed(FixedYaml.Replace("{ all: {} }", "{ latest: { num_versions: 1 } }", StringComparison.Ordinal));
        await _repository.SyncAsync();
        var first = _repository.Table.Models["fixed"].Versions[1];

        AddFixedVersion(2);
        await _repository.SyncAsync();

        Assert.Equal([2L], _repository.Table.Models["fixed"].Versions.Keys);
        Assert.True(first.IsDisposed);
        Assert.Single(_repositoryLog.Messages, m => m == "Model fixed version 1 unloaded: the version policy no longer selects it");
    }

    /// <summary>
    /// Under latest: 1 a newer version loads while the older one serves, and the older goes once the newer is loaded:
    /// a call that names no version is served throughout. The older went first, and every call that came while the newer
    /// loaded was 503 ("has no loaded version", then "version 2 is loading"): 180 of 700 calls in
    /// RepositoryChangeSweepTests.NewVersionAdded_UnderLatestOnePolicy_CallsWithoutAVersionServedThroughout.
    /// </summary>
    [Fact]
    public async Task SyncAsync_NewerVersionAddedUnderLatestOne_OlderServesWhileTheNewerLoads()
    {
        CopyFixed(FixedYaml.Replace("{ all: {} }", "{ latest: { num_versions: 1 } }", StringComparison.Ordinal));
        var options = Options.Create(new WorkerOptions { ModelRepository = _temp.Path });
        var loader = new WatchingLoader(NewLoader(options, _loaderLog));
        using var repository = new ModelRepository(options, loader, new WorkerMetrics(), _repositoryLog);
        await repository.SyncAsync();
        var first = repository.Table.Models["fixed"].Versions[1];

        loader.Watch = () =>
        {
            // What a call that names no version gets while version 2 loads: a lease on a ready version, or none.
            var latest = repository.Table.Models["fixed"].LatestReady();
            if (latest?.TryAcquire() != true)
            {
                return null;
            }

            latest.Release();
            return latest;
        };
        AddFixedVersion(2);
        await repository.SyncAsync();

        Assert.Same(first, loader.Seen);
        Assert.Equal([2L], repository.Table.Models["fixed"].Versions.Keys);
        Assert.Equal(ModelVersionState.Ready, repository.Table.Models["fixed"].Versions[2].State);
        Assert.True(first.IsDisposed);
    }

    /// <summary>
    /// Under latest: 1 a newer version whose model.onnx does not load (half of it: a copy the poll saw under way) leaves
    /// the older one serving, the newer UNAVAILABLE with why; once its file is whole the newer serves and the older goes.
    /// The older went as the newer's load failed, and the model served nothing ("version 2 failed to load") until a poll
    /// after the copy had ended.
    /// </summary>
    [Fact]
    public async Task SyncAsync_NewerVersionThatFailsToLoadUnderLatestOne_OlderServesOn_UntilTheNewerLoads()
    {
        CopyFixed(FixedYaml.Replace("{ all: {} }", "{ latest: { num_versions: 1 } }", StringComparison.Ordinal));
        await _repository.SyncAsync();
        var first = _repository.Table.Models["fixed"].Versions[1];
        var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.TestModels, "fixed", "1", "model.onnx"));
        var copy = _temp.Combine("fixed", "2", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.WriteAllBytes(copy, bytes[..(bytes.Length / 2)]);

        await _repository.SyncAsync();

        var entry = _repository.Table.Models["fixed"];
        Assert.Equal(ModelVersionState.Unavailable, entry.Versions[2].State);
        Assert.StartsWith("model 'fixed' version 2: ONNX Runtime could not load model.onnx", entry.Versions[2].Reason, StringComparison.Ordinal);
        Assert.Same(first, entry.LatestReady());
        Assert.False(first.IsDisposed);

        File.WriteAllBytes(copy, bytes);
        await _repository.SyncAsync();

        Assert.Equal([2L], _repository.Table.Models["fixed"].Versions.Keys);
        Assert.Equal(ModelVersionState.Ready, _repository.Table.Models["fixed"].Versions[2].State);
        Assert.True(first.IsDisposed);
    }

    // Calls Watch as each load starts, and keeps what it returned.
    private sealed class WatchingLoader(IModelVersionLoader inner) : IModelVersionLoader
    {
        public Func<ModelVersion?>? Watch { get; set; }

        public ModelVersion? Seen { get; private set; }

        public bool ReadsFeatureCsv => inner.ReadsFeatureCsv;

        public ModelVersion Load(string model, long version, string modelPath, ModelConfig config, string fingerprint)
        {
            Seen = Watch?.Invoke();
            return inner.Load(model, version, modelPath, config, fingerprint);
        }
    }

    [Fact]
    public async Task SyncAsync_NoConfigFile_ServesNewestWithSignatureFromGraph()
    {
        AddFixedVersion(1);
        AddFixedVersion(2);

        await _repository.SyncAsync();

        var entry = _repository.Table.Models["fixed"];
        Assert.Null(entry.ConfigError);
        Assert.Equal([2L], entry.Versions.Keys);
        var input = Assert.Single(entry.Versions[2].Runner!.Signature.Inputs);
        Assert.Equal(("x", 4L), (input.Name, Assert.Single(input.Shape)));
    }

    [Fact]
    public async Task SyncAsync_ModelFileReplaced_ReloadsAndRetiresOld()
    {
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        var old = _repository.Table.Models["fixed"].Versions[1];

        File.SetLastWriteTimeUtc(_temp.Combine("fixed", "1", "model.onnx"), DateTime.UtcNow.AddMinutes(5));
        await _repository.SyncAsync();

        var current = _repository.Table.Models["fixed"].Versions[1];
        Assert.NotSame(old, current);
        Assert.Equal(ModelVersionState.Ready, current.State);
        Assert.True(old.IsDisposed);
    }

    [Fact]
    public async Task SyncAsync_ModelFileCorruptedAfterLoad_KeepsServingOldVersion()
    {
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        var old = _repository.Table.Models["fixed"].Versions[1];

        File.WriteAllBytes(_temp.Combine("fixed", "1", "model.onnx"), [1, 2, 3, 4, 5]);
        await _repository.SyncAsync();

        var current = _repository.Table.Models["fixed"].Versions[1];
        Assert.Same(old, current);
        Assert.Equal(ModelVersionState.Ready, current.State);
        Assert.False(old.IsDisposed);
    }

    /// <summary>
    /// Models load side by side, up to <c>ModelLoadThreads</c> at once (as Triton's --model-load-thread-count): a sync
    /// loaded one model after another, so one slow model held back every other, at start and at each poll. The loader
    /// below holds each load but the last until a second one is under way (or its patience ends): loads one at a time
    /// never meet, and a third model waits for a free thread.
    /// </summary>
    [Theory]
    [InlineData(2, 2)]
    [InlineData(1, 1)]
    public async Task SyncAsync_LoadsModelsSideBySide_UpToModelLoadThreads(int threads, int expected)
    {
        CopyFixed(FixedYaml, "a");
        CopyFixed(FixedYaml, "b");
        CopyFixed(FixedYaml, "c");
        var options = Options.Create(new WorkerOptions { ModelRepository = _temp.Path, ModelLoadThreads = threads });
        var loader = new MeetingLoader(NewLoader(options, _loaderLog), total: 3, TimeSpan.FromSeconds(threads == 1 ? 0.2 : 60));
        using var repository = new ModelRepository(options, loader, new WorkerMetrics(), _repositoryLog);

        await repository.SyncAsync();

        Assert.Equal(expected, loader.MostAtOnce);
        Assert.Equal(3, loader.Loads);
        Assert.All(["a", "b", "c"], m => Assert.Equal(ModelVersionState.Ready, repository.Table.Models[m].Versions[1].State));
    }

    /// <summary>
    /// A load that does not end (here: held until released, as a read of a file system that stopped answering) makes its
    /// version UNAVAILABLE after ModelLoadTimeout, saying so, and the sync ends: it held the sync, and every later poll, for
    /// good. The same files are not loaded again at the next poll. Files changed meanwhile start another load (held too);
    /// once released, the first load's late result, whose placeholder is gone, is disposed, and the second's is served.
    /// </summary>
    [Fact]
    public async Task SyncAsync_ALoadThatDoesNotEnd_UnavailableAfterModelLoadTimeout_TheSyncEnds_ServedIfItEndsLate()
    {
        CopyFixed(FixedYaml, "other");
        CopyFixed(FixedYaml, "stuck");
        var options = Options.Create(new WorkerOptions { ModelRepository = _temp.Path, ModelLoadTimeout = TimeSpan.FromSeconds(5) });
        var loader = new HeldLoader(NewLoader(options, _loaderLog), "stuck");
        using var repository = new ModelRepository(options, loader, new WorkerMetrics(), _repositoryLog);

        // On a thread of its own, so a sync that blocks fails the test at 60 s instead of hanging it.
        await Task.Run(() => repository.SyncAsync()).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(ModelVersionState.Ready, repository.Table.Models["other"].Versions[1].State);
        var stuck = repository.Table.Models["stuck"].Versions[1];
        Assert.Equal(ModelVersionState.Unavailable, stuck.State);
        Assert.StartsWith("model 'stuck' version 1: loading did not finish within 00:00:05 (Serving:Worker:ModelLoadTimeout)", stuck.Reason, StringComparison.Ordinal);
        Assert.Single(_repositoryLog.Messages, m => m.Contains("loading did not finish", StringComparison.Ordinal));

        await Task.Run(() => repository.SyncAsync()).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, loader.Started("stuck"));

        File.SetLastWriteTimeUtc(_temp.Combine("stuck", "1", "model.onnx"), DateTime.UtcNow.AddMinutes(5));
        await Task.Run(() => repository.SyncAsync()).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, loader.Started("stuck"));
        var second = repository.Table.Models["stuck"].Versions[1];
        Assert.NotSame(stuck, second);
        Assert.Equal(ModelVersionState.Unavailable, second.State);

        loader.Release();
        var late = await loader.Late(2).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(SpinWait.SpinUntil(() => late[0].IsDisposed && repository.Table.Models["stuck"].Versions[1] == late[1], TimeSpan.FromSeconds(30)));
        Assert.Equal(ModelVersionState.Ready, repository.Table.Models["stuck"].Versions[1].State);
        Assert.False(late[1].IsDisposed);
    }

    /// <summary>
    /// The worker stopped (the repository disposed, as the host does once its shutdown timeout has passed) while a load
    /// runs: the sync ends without an error when the load does, and what the load made is disposed, not published into
    /// a table no one disposes any more.
    /// </summary>
    [Fact]
    public async Task Dispose_WhileALoadRuns_TheSyncEndsCleanly_WhatTheLoadMadeIsDisposed()
    {
        CopyFixed(FixedYaml);
        var options = Options.Create(new WorkerOptions { ModelRepository = _temp.Path });
        var loader = new HeldLoader(NewLoader(options, _loaderLog), "held");
        var repository = new ModelRepository(options, loader, new WorkerMetrics(), _repositoryLog);
        await repository.SyncAsync();
        var serving = repository.Table.Models["fixed"].Versions[1];
        CopyFixed(FixedYaml, "held");
        File.SetLastWriteTimeUtc(_temp.Combine("fixed", "1", "model.onnx"), DateTime.UtcNow.AddMinutes(5));

        var sync = Task.Run(() => repository.SyncAsync());
        Assert.True(SpinWait.SpinUntil(() => loader.Started("held") == 1, TimeSpan.FromSeconds(30)));
        Assert.True(SpinWait.SpinUntil(() => serving.IsDisposed, TimeSpan.FromSeconds(30))); // fixed reloaded meanwhile
        repository.Dispose();
        loader.Release();
        var late = (await loader.Late(1).WaitAsync(TimeSpan.FromSeconds(60)))[0];
        await sync.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotNull(late.Runner);
        Assert.True(late.IsDisposed);
        Assert.All(repository.Table.Models.Values.SelectMany(m => m.Versions.Values), v => Assert.True(v.IsDisposed, $"{v.Model} {v.Version}"));
    }

    // Holds every load of one model until released, then loads it for real; counts the loads it was asked for.
    private sealed class HeldLoader(IModelVersionLoader inner, string held) : IModelVersionLoader
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly ConcurrentDictionary<string, int> _started = new();
        private readonly ConcurrentQueue<(int Order, ModelVersion Version)> _late = new();
        private int _order;

        public bool ReadsFeatureCsv => inner.ReadsFeatureCsv;

        public int Started(string model) => _started.GetValueOrDefault(model);

        public void Release() => _release.Set();

        /// <summary>What the held loads made once released, in the order they were asked for, when <paramref name="count"/> have.</summary>
        public async Task<ModelVersion[]> Late(int count)
        {
            while (_late.Count < count)
            {
                await Task.Delay(20);
            }

            return [.. _late.OrderBy(l => l.Order).Select(l => l.Version)];
        }

        public ModelVersion Load(string model, long version, string modelPath, ModelConfig config, string fingerprint)
        {
            _started.AddOrUpdate(model, 1, (_, n) => n + 1);
            if (model != held)
            {
                return inner.Load(model, version, modelPath, config, fingerprint);
            }

            var order = Interlocked.Increment(ref _order);
            _release.Wait();
            var loaded = inner.Load(model, version, modelPath, config, fingerprint);
            _late.Enqueue((order, loaded));
            return loaded;
        }
    }

    // Counts the loads under way at once; each but the last of the total waits (up to its patience) until another is under way too.
    private sealed class MeetingLoader(IModelVersionLoader inner, int total, TimeSpan patience) : IModelVersionLoader
    {
        private readonly object _gate = new();
        private int _now;

        public int MostAtOnce { get; private set; }

        public int Loads { get; private set; }

        public bool ReadsFeatureCsv => inner.ReadsFeatureCsv;

        public ModelVersion Load(string model, long version, string modelPath, ModelConfig config, string fingerprint)
        {
            lock (_gate)
            {
                Loads++;
                MostAtOnce = Math.Max(MostAtOnce, ++_now);
                Monitor.PulseAll(_gate);
                var until = DateTime.UtcNow + patience;
                while (_now < 2 && Loads < total && DateTime.UtcNow < until)
                {
                    Monitor.Wait(_gate, until - DateTime.UtcNow);
                }
            }

            try
            {
                return inner.Load(model, version, modelPath, config, fingerprint);
            }
            finally
            {
                lock (_gate)
                {
                    _now--;
                }
            }
        }
    }

    /// <summary>
    /// The repository index says why a version that serves is not what its folder holds: a reload of changed files
    /// that failed is its reason beside READY (as a refused config is), until files load again or are put back as the
    /// version was loaded from. Before, the index said READY and nothing else, and only the log told.
    /// </summary>
    [Fact]
    public async Task SyncAsync_ReloadFails_IndexSaysWhyBesideReady_UntilFilesLoadOrArePutBack()
    {
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        var model = _temp.Combine("fixed", "1", "model.onnx");
        var good = File.ReadAllBytes(model);
        var loadedAt = File.GetLastWriteTimeUtc(model);
        Assert.Null(IndexEntry().Reason);

        File.WriteAllBytes(model, [1, 2, 3, 4, 5]);
        await _repository.SyncAsync();
        var failed = IndexEntry();
        Assert.Equal("READY", failed.State);
        Assert.StartsWith("model 'fixed' version 1: ONNX Runtime could not load model.onnx", failed.Reason, StringComparison.Ordinal);
        Assert.EndsWith("(the loaded version keeps serving)", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(_temp.Path, failed.Reason, StringComparison.Ordinal);
        await _repository.SyncAsync();
        Assert.Equal(failed.Reason, IndexEntry().Reason);

        // The very files it was loaded from, put back: nothing to reload, and nothing failed.
        var old = _repository.Table.Models["fixed"].Versions[1];
        File.WriteAllBytes(model, good);
        File.SetLastWriteTimeUtc(model, loadedAt);
        await _repository.SyncAsync();
        Assert.Same(old, _repository.Table.Models["fixed"].Versions[1]);
        Assert.Equal(("READY", (string?)null), (IndexEntry().State, IndexEntry().Reason));

        // Broken again, then good files that load: the reason goes with the reload.
        File.WriteAllBytes(model, [1, 2, 3, 4, 5, 6]);
        await _repository.SyncAsync();
        Assert.NotNull(IndexEntry().Reason);
        File.WriteAllBytes(model, good);
        await _repository.SyncAsync();
        Assert.NotSame(old, _repository.Table.Models["fixed"].Versions[1]);
        Assert.Equal(("READY", (string?)null), (IndexEntry().State, IndexEntry().Reason));

        Serving.Hosting.Http.RepositoryIndex.Entry IndexEntry() =>
            Assert.Single(Serving.Worker.Endpoints.RepositoryEndpoints.Entries(_repository.Table));
    }

    /// <summary>
    /// A reload that fails from the same files is not tried (and logged) again at every poll: the sweep saw each poll
    /// load the broken files anew and log "is unavailable" and "the loaded version keeps serving" again. Files that
    /// change are tried again.
    /// </summary>
    [Fact]
    public async Task SyncAsync_ReloadFailedFromTheSameFiles_NotTriedAgainUntilTheyChange()
    {
        CopyFixed(FixedYaml);
        await _repository.SyncAsync();
        var old = _repository.Table.Models["fixed"].Versions[1];
        var model = _temp.Combine("fixed", "1", "model.onnx");
        var good = File.ReadAllBytes(model);

        File.WriteAllBytes(model, [1, 2, 3, 4, 5]);
        for (var i = 0; i < 4; i++)
        {
            await _repository.SyncAsync();
        }

        Assert.Single(_repositoryLog.Messages, m => m.Contains("reload failed", StringComparison.Ordinal));
        Assert.Single(_loaderLog.Messages, m => m.Contains("is unavailable", StringComparison.Ordinal));
        Assert.Same(old, _repository.Table.Models["fixed"].Versions[1]);

        File.WriteAllBytes(model, [1, 2, 3, 4, 5, 6]);
        await _repository.SyncAsync();
        Assert.Equal(2, _repositoryLog.Messages.Count(m => m.Contains("reload failed", StringComparison.Ordinal)));

        File.WriteAllBytes(model, good);
        await _repository.SyncAsync();
        var reloaded = _repository.Table.Models["fixed"].Versions[1];
        Assert.NotSame(old, reloaded);
        Assert.Equal(ModelVersionState.Ready, reloaded.State);
    }

    [Fact]
    public async Task SyncAsync_ConfigStaysInvalid_LoggedOnce_NotAtEveryPoll()
    {
        CopyModel(RepoPaths.Models, "tabular");
        File.AppendAllText(_temp.Combine("tabular", "model.yaml"), "\nmax_batch_sise: 8\n");

        for (var i = 0; i < 4; i++)
        {
            await _repository.SyncAsync();
        }

        Assert.Single(_repositoryLog.Messages, m => m.Contains("configuration rejected", StringComparison.Ordinal));
        Assert.Contains("'max_batch_sise'", _repository.Table.Models["tabular"].ConfigError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SyncAsync_FolderWithInvalidName_IsIgnored_SaidOnce()
    {
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.TestModels, "fixed"), _temp.Combine(".fixed"));
        RepoPaths.CopyDirectory(Path.Combine(RepoPaths.TestModels, "fixed"), _temp.Combine("bad name"));
        Directory.CreateDirectory(_temp.Combine(".git", "objects"));

        await _repository.SyncAsync();
        await _repository.SyncAsync();

        Assert.Empty(_repository.Table.Models);
        var warnings = _repositoryLog.Messages.Where(m => m.Contains("is skipped: a model name is", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, warnings.Length);
        Assert.StartsWith("Model folder '.fixed' is skipped", warnings[0], StringComparison.Ordinal);
        Assert.StartsWith("Model folder 'bad name' is skipped", warnings[1], StringComparison.Ordinal);
    }

    /// <summary>
    /// A folder with a model.onnx whose name is not a version is skipped with a warning, once, as Triton warns of a version
    /// folder whose name is not a number: "v2", "02" or "0" was skipped without a word, and the model served without it.
    /// </summary>
    [Fact]
    public async Task SyncAsync_ModelOnnxInAFolderNamedNoVersion_SkippedAndSaidOnce()
    {
        CopyFixed(FixedYaml);
        foreach (var folder in new[] { "v2", "02", "0" })
        {
            Directory.CreateDirectory(_temp.Combine("fixed", folder));
            File.Copy(_temp.Combine("fixed", "1", "model.onnx"), _temp.Combine("fixed", folder, "model.onnx"));
        }

        Directory.CreateDirectory(_temp.Combine("fixed", "assets"));

        await _repository.SyncAsync();
        await _repository.SyncAsync();

        Assert.Equal([1L], _repository.Table.Models["fixed"].Versions.Keys);
        var warnings = _repositoryLog.Messages.Where(m => m.Contains("is skipped: a version folder's name", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            ["Model fixed: folder '0' holds", "Model fixed: folder '02' holds", "Model fixed: folder 'v2' holds"],
            warnings.Select(w => w[..w.IndexOf(" a model.onnx", StringComparison.Ordinal)]));
    }

    /// <summary>
    /// A model.yaml that is a folder, or a link to nothing, is refused saying so; the model was served without any config
    /// (its inputs taken from the graph, the default version policy), nothing logged.
    /// </summary>
    [Theory]
    [InlineData(false, "a folder")]
    [InlineData(true, "a link to nothing")]
    public async Task SyncAsync_ModelYamlNotAFile_ConfigRefusedSayingWhat(bool link, string what)
    {
        AddFixedVersion(1);
        var yaml = _temp.Combine("fixed", "model.yaml");
        if (link)
        {
            File.CreateSymbolicLink(yaml, _temp.Combine("nowhere.yaml"));
        }
        else
        {
            Directory.CreateDirectory(yaml);
        }

        await _repository.SyncAsync();

        var entry = _repository.Table.Models["fixed"];
        Assert.Equal($"model 'fixed': model.yaml is {what}, not a file: make it the model's config file, or remove it", entry.ConfigError);
        Assert.Empty(entry.Versions);
        Assert.Single(_repositoryLog.Messages, m => m == "Model fixed: configuration rejected: " + entry.ConfigError);
    }

    /// <summary>
    /// An empty model.onnx, or a named pipe in its place (which reports 0 bytes), is UNAVAILABLE saying so. A pipe was
    /// opened by ONNX Runtime, and the open waited for a writer: the sync never ended, so a worker never became ready,
    /// and later no model of the repository was loaded or reloaded again.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SyncAsync_ModelOnnxEmptyOrAPipe_UnavailableSayingSo_TheSyncEnds(bool pipe)
    {
        AddFixedVersion(1, name: "other");
        var folder = _temp.Combine("fixed", "1");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "model.onnx");
        if (pipe)
        {
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        else
        {
            await File.WriteAllBytesAsync(path, []);
        }

        // On a thread of its own, so a sync that blocks fails the test at 30 s instead of hanging it.
        await Task.Run(() => _repository.SyncAsync()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ModelVersionState.Ready, _repository.Table.Models["other"].Versions[1].State);
        var broken = _repository.Table.Models["fixed"].Versions[1];
        Assert.Equal(ModelVersionState.Unavailable, broken.State);
        Assert.Equal(
            "model 'fixed' version 1: model.onnx is empty (0 bytes): copy the model's file there whole (a named pipe or a device in its place is refused unread)",
            broken.Reason);
    }

    /// <summary>
    /// A named pipe in place of any other file a model's load reads (its config, labels, fields or features) is read as
    /// the empty file it reports itself to be, unopened, as model.onnx's is: the open waited for a writer, so the sync
    /// never ended (the worker never ready, no model loaded or reloaded again). Each then fails, or not, as an empty file
    /// does; the other model loads.
    /// </summary>
    [Theory]
    [InlineData("model.yaml", "2", "READY", null)] // an empty config: the defaults, the latest version
    [InlineData("labels.txt", null, "UNAVAILABLE", "model 'tabular': model.yaml: 'outputs[0].labels_file' 'labels.txt' holds no labels")]
    [InlineData("feature_names.txt", null, "UNAVAILABLE", "model 'tabular': model.yaml: 'features.fields_file' 'feature_names.txt' is empty: list the fields in it, one per line")]
    [InlineData("features.csv", "1", "UNAVAILABLE", "model 'tabular' version 1: features.csv: the header must name an id column and at least one field")]
    public async Task SyncAsync_AModelsOtherFileIsAPipe_ReadAsEmpty_TheSyncEnds(string file, string? version, string state, string? reason)
    {
        AddFixedVersion(1, name: "other");
        CopyModel(RepoPaths.Models, "tabular");
        var path = _temp.Combine("tabular", file);
        File.Delete(path);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // On a thread of its own, so a sync that blocks fails the test at 30 s instead of hanging it.
        await Task.Run(() => _repository.SyncAsync()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(ModelVersionState.Ready, _repository.Table.Models["other"].Versions[1].State);
        var entry = Assert.Single(Serving.Worker.Endpoints.RepositoryEndpoints.Entries(_repository.Table), e => e.Name == "tabular" && e.Version == version);
        Assert.Equal(state, entry.State);
        if (reason is null)
        {
            Assert.Null(entry.Reason);
        }
        else
        {
            Assert.StartsWith(reason, entry.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SyncAsync_RepositoryIsOneModelsFolder_SaysToGiveItsParent_Once()
    {
        CopyModel(RepoPaths.Models, "tabular");
        var log = new RecordingLogger<ModelRepository>();
        using var repository = NewRepository(_temp.Combine("tabular"), new RecordingLogger<ModelVersionLoader>(), log);

        await repository.SyncAsync();
        await repository.SyncAsync();

        Assert.Empty(repository.Table.Models);
        var warning = Assert.Single(log.Messages);
        Assert.Contains("is one model's folder", warning, StringComparison.Ordinal);
        Assert.EndsWith($"give --models its parent, {_temp.Path}", warning, StringComparison.Ordinal);
    }

    /// <summary>
    /// max_batch_size may be any whole number, as Triton's may: 2147483647 loads ready and its batches run. The statistics
    /// by batch size held an entry for every size up to it (7 GB of a worker's memory at 50,000,000; at 2147483647 their
    /// count overflowed, and the version stayed LOADING), and each batch loop a list of that capacity.
    /// </summary>
    [Fact]
    public async Task SyncAsync_LargestMaxBatchSize_LoadsReady_BatchesRunAndAreCounted()
    {
        CopyModel(RepoPaths.TestModels, "identity_fp32");
        var yaml = _temp.Combine("identity_fp32", "model.yaml");
        File.WriteAllText(
            yaml,
            File.ReadAllText(yaml).Replace("max_batch_size: 8", "max_batch_size: 2147483647", StringComparison.Ordinal)
                + "\ndynamic_batching:\n  max_queue_delay_us: 10000000\n  preferred_batch_sizes: [3]\n");

        await _repository.SyncAsync();

        var version = _repository.Table.Models["identity_fp32"].Versions[1];
        Assert.Equal(ModelVersionState.Ready, version.State);
        Assert.Equal(int.MaxValue, version.Batcher!.Settings.MaxBatchSize);

        // 1 and 2 rows make the preferred size, 3, which a batch loop sends at once (else after the 10 s delay).
        string[] outputs = ["OUTPUT0"];
        var one = version.Batcher.EnqueueAsync([TestTensors.Floats("INPUT0", [1, 2], 1, 2)], outputs, CallerDeadline.NotGiven, CancellationToken.None);
        var two = version.Batcher.EnqueueAsync([TestTensors.Floats("INPUT0", [2, 2], 3, 4, 5, 6)], outputs, CallerDeadline.NotGiven, CancellationToken.None);
        var results = await Task.WhenAll(one, two).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([1f, 2f], results[0].Outputs[0].As<float>().ToArray());
        Assert.Equal([3f, 4f, 5f, 6f], results[1].Outputs[0].As<float>().ToArray());
        foreach (var result in results)
        {
            result.Owner?.Dispose();
        }

        using var json = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(json))
        {
            version.Statistics!.Write(writer, "identity_fp32", "1");
        }

        using var stats = System.Text.Json.JsonDocument.Parse(json.ToArray());
        var batch = Assert.Single(stats.RootElement.GetProperty("batch_stats").EnumerateArray());
        Assert.Equal(3, batch.GetProperty("batch_size").GetInt32());
        Assert.Equal(1, batch.GetProperty("compute_infer").GetProperty("count").GetInt64());
    }

    /// <summary>
    /// A load that fails with an exception the loader does not expect (here warm-up's element count of a shape in model.yaml
    /// that overflows) leaves the version UNAVAILABLE with the step and the exception, as any failed load; the other
    /// models serve. It stayed LOADING for good, reason "the repository entry could not be read (OverflowException)".
    /// </summary>
    [Fact]
    public async Task SyncAsync_LoadFailsWithAnUnexpectedException_UnavailableWithTheStepAndWhy_OthersServe()
    {
        CopyModel(RepoPaths.TestModels, "identity_fp32");
        CopyFixed(FixedYaml);
        OverflowingShape("identity_fp32");

        await _repository.SyncAsync();
        await _repository.SyncAsync();

        var entry = _repository.Table.Models["identity_fp32"];
        Assert.Null(entry.ConfigError);
        var version = entry.Versions[1];
        Assert.Equal(ModelVersionState.Unavailable, version.State);
        Assert.Equal(
            "model 'identity_fp32' version 1: warming up (one run on zeros) failed: Arithmetic operation resulted in an overflow. (OverflowException)",
            version.Reason);
        Assert.Null(version.Runner);
        Assert.False(version.TryAcquire());
        Assert.Single(_loaderLog.Messages, m => m == "Model identity_fp32 version 1 is unavailable: " + version.Reason);
        Assert.DoesNotContain(_repositoryLog.Messages, m => m.Contains("repository sync failed", StringComparison.Ordinal));
        Assert.Equal(ModelVersionState.Ready, _repository.Table.Models["fixed"].Versions[1].State);
    }

    /// <summary>
    /// A reload whose load fails unexpectedly keeps the loaded version serving, as any failed reload, said once: it logged
    /// "repository sync failed" with a stack trace at every poll and set the model's reason while the version stayed READY.
    /// </summary>
    [Fact]
    public async Task SyncAsync_ReloadFailsWithAnUnexpectedException_TheLoadedVersionKeepsServing_SaidOnce()
    {
        CopyModel(RepoPaths.TestModels, "identity_fp32");
        await _repository.SyncAsync();
        var old = _repository.Table.Models["identity_fp32"].Versions[1];

        OverflowingShape("identity_fp32");
        for (var i = 0; i < 4; i++)
        {
            await _repository.SyncAsync();
        }

        var entry = _repository.Table.Models["identity_fp32"];
        Assert.Null(entry.ConfigError);
        Assert.Same(old, entry.Versions[1]);
        Assert.Equal(ModelVersionState.Ready, old.State);
        Assert.False(old.IsDisposed);
        Assert.Single(_repositoryLog.Messages, m => m.StartsWith("Model identity_fp32 version 1: reload failed (model 'identity_fp32' version 1: warming up", StringComparison.Ordinal));
        Assert.DoesNotContain(_repositoryLog.Messages, m => m.Contains("repository sync failed", StringComparison.Ordinal));
    }

    /// <summary>
    /// A model folder with a config but nothing to serve is in the index, UNAVAILABLE with why, and said once in the log, as
    /// Triton lists a model that failed to load: it was in no list at all, every call "unknown model", and nothing logged.
    /// </summary>
    [Theory]
    [InlineData("{ specific: { versions: [7] } }", true, "model 'fixed': version_policy selects none of the versions in its folder (1)")]
    [InlineData("{ all: {} }", false, "model 'fixed': no version folder holds a model.onnx (the layout is fixed/<version>/model.onnx, the version a positive whole number)")]
    public async Task SyncAsync_ConfigButNoVersionToServe_ListedUnavailableWithWhy_SaidOnce(string policy, bool withVersion, string reason)
    {
        CopyFixed(FixedYaml.Replace("{ all: {} }", policy, StringComparison.Ordinal));
        if (!withVersion)
        {
            Directory.Delete(_temp.Combine("fixed", "1"), recursive: true);
            Directory.CreateDirectory(_temp.Combine("fixed", "1"));
        }

        await _repository.SyncAsync();
        await _repository.SyncAsync();

        var entry = _repository.Table.Models["fixed"];
        Assert.Empty(entry.Versions);
        Assert.Equal(
            new Serving.Hosting.Http.RepositoryIndex.Entry("fixed", null, "UNAVAILABLE", reason),
            Assert.Single(Serving.Worker.Endpoints.RepositoryEndpoints.Entries(_repository.Table)));
        Assert.Single(_repositoryLog.Messages, m => m == "Model fixed has no version to serve: " + reason);
        var e = Assert.Throws<Serving.Protocol.Errors.InferenceException>(() => new Serving.Worker.Inference.ModelResolver(_repository).Acquire("fixed", null));
        Assert.Equal("model 'fixed' has no loaded version: " + reason, e.Message);
    }

    // INPUT0's second dimension is -1 in the graph; this size makes warm-up's element count overflow a long.
    private void OverflowingShape(string model)
    {
        var yaml = _temp.Combine(model, "model.yaml");
        File.WriteAllText(
            yaml,
            File.ReadAllText(yaml).Replace("INPUT0, datatype: FP32, shape: [-1, -1]", "INPUT0, datatype: FP32, shape: [-1, 9223372036854775807]", StringComparison.Ordinal));
    }

    internal static ModelRepository NewRepository(string root, RecordingLogger<ModelVersionLoader> loaderLog, RecordingLogger<ModelRepository> log)
    {
        var options = Options.Create(new WorkerOptions { ModelRepository = root });
        return new ModelRepository(options, NewLoader(options, loaderLog), new WorkerMetrics(), log);
    }

    internal static ModelVersionLoader NewLoader(IOptions<WorkerOptions> options, RecordingLogger<ModelVersionLoader> loaderLog) =>
        new(
            Runners.SessionFactory(),
            new Serving.Worker.Features.FeatureStores(
                Options.Create(new FeatureStoreOptions()), Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(new Microsoft.Extensions.DependencyInjection.ServiceCollection()), NullLoggerFactory.Instance),
            options,
            loaderLog);

    private void CopyModel(string root, string name) =>
        RepoPaths.CopyDirectory(Path.Combine(root, name), _temp.Combine(name));

    /// <summary>tests/models/fixed as <paramref name="name"/>/1, with <paramref name="yaml"/> (its name: line renamed to match).</summary>
    private void CopyFixed(string yaml, string name = "fixed")
    {
        AddFixedVersion(1, name);
        File.WriteAllText(_temp.Combine(name, "model.yaml"), yaml.Replace("name: fixed", "name: " + name, StringComparison.Ordinal));
    }

    private void AddFixedVersion(int version, string name = "fixed")
    {
        var folder = _temp.Combine(name, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(RepoPaths.TestModels, "fixed", "1", "model.onnx"), Path.Combine(folder, "model.onnx"));
    }
}
