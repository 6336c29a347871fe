using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Serving.LoadTests.Bench;

/// <summary>
/// A temporary model repository holding one model's served version and the files beside its config, with its own <c>model.yaml</c>
/// (inputs, outputs, runtime) rewritten to the bench's batching settings. Deleted on dispose.
/// </summary>
internal sealed class BenchRepository : IDisposable
{
    private BenchRepository(string root, string modelYaml)
    {
        Root = root;
        ModelYaml = modelYaml;
    }

    /// <summary>The repository folder (<c>Serving:Worker:ModelRepository</c>).</summary>
    public string Root { get; }

    /// <summary>The <c>model.yaml</c> written, for the report.</summary>
    public string ModelYaml { get; }

    /// <summary>Copies <paramref name="model"/>'s served version and writes its config with <paramref name="batching"/>.</summary>
    public static BenchRepository Create(BenchModel model, BatchingConfig batching)
    {
        var root = Path.Combine(Path.GetTempPath(), $"serving-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var versionDir = Path.Combine(root, model.Name, model.VersionText);
        Directory.CreateDirectory(versionDir);
        try
        {
            // Files next to model.yaml (feature lists, CSVs) come along: the config may name them.
            foreach (var file in Directory.EnumerateFiles(model.SourceDirectory))
            {
                File.Copy(file, Path.Combine(root, model.Name, Path.GetFileName(file)));
            }

            foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(model.OnnxPath)!))
            {
                File.Copy(file, Path.Combine(versionDir, Path.GetFileName(file)));
            }

            var source = Path.Combine(model.SourceDirectory, "model.yaml");
            var yaml = Rewrite(File.Exists(source) ? File.ReadAllText(source) : string.Empty, model.Name, batching);
            File.WriteAllText(Path.Combine(root, model.Name, "model.yaml"), yaml);
            return new BenchRepository(root, yaml);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlException)
        {
            Directory.Delete(root, recursive: true);
            throw new LoadTestException($"cannot prepare the bench repository for '{model.Name}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The model's <c>model.yaml</c> text with the bench's batching settings and no version policy (the
    /// repository holds one version); every other key is kept as written, for the worker to validate.
    /// </summary>
    internal static string Rewrite(string sourceYaml, string modelName, BatchingConfig batching)
    {
        var config = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(sourceYaml) ?? [];
        config["name"] = modelName;
        config.Remove("version_policy");
        config["max_batch_size"] = batching.MaxBatchSize;
        var runtime = config.TryGetValue("runtime", out var r) && r is Dictionary<object, object?> existing ? existing : [];
        runtime["intra_op_threads"] = batching.IntraOpThreads;
        config["runtime"] = runtime;
        var dynamicBatching = new Dictionary<string, object>
        {
            ["enabled"] = true,
            ["max_queue_delay_us"] = batching.MaxQueueDelayMicros,
            ["instances"] = batching.Instances,
            ["max_queue_size"] = 1024,
        };
        if (batching.ArrivalGapMicros > 0)
        {
            dynamicBatching["arrival_gap_us"] = batching.ArrivalGapMicros;
        }

        config["dynamic_batching"] = dynamicBatching;
        return new SerializerBuilder().Build().Serialize(config);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
