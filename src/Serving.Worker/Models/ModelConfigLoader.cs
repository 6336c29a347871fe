using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Serving.Protocol.Tensors;
using Serving.Worker.Features;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Serving.Worker.Models;

/// <summary>Reads and checks <c>model.yaml</c> / <c>model.json</c>; unknown keys are errors so typos don't pass silently.</summary>
internal static class ModelConfigLoader
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .WithDuplicateKeyChecking()
        .Build();

    /// <summary>dynamic_batching.default_timeout_ms's largest value: one day, past which a caller's timeout means none too.</summary>
    internal const long MaxDefaultTimeoutMs = 86_400_000;

    /// <summary>runtime.intra_op_threads' and inter_op_threads' largest value: ONNX Runtime starts them all at load.</summary>
    internal const int MaxThreads = 1024;

    /// <summary>
    /// The largest model config, labels file or fields file read: real ones are kilobytes, and each is read whole into
    /// memory, so one of gigabytes (a model's weights saved under the wrong name) would take the worker's memory with it.
    /// </summary>
    internal const long MaxFileBytes = 16L * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public static readonly string[] FileNames = ["model.yaml", "model.yml", "model.json"];

    /// <summary>
    /// The config file in <paramref name="modelDirectory"/>, or null; also a folder of that name (or a link to nothing, which
    /// File.Exists takes for a file), which <see cref="Load"/> refuses saying so: skipped, the model was served without it.
    /// </summary>
    public static string? Find(string modelDirectory) =>
        FileNames.Select(n => Path.Combine(modelDirectory, n)).FirstOrDefault(p => File.Exists(p) || Directory.Exists(p));

    /// <summary>Parses and validates the config of the model named <paramref name="modelName"/>.</summary>
    public static ModelConfig Load(string modelName, string path)
    {
        var fileName = Path.GetFileName(path);
        if (Directory.Exists(path) || File.ResolveLinkTarget(path, returnFinalTarget: true) is { Exists: false })
        {
            throw new ModelConfigException(
                $"model '{modelName}': {fileName} is {(Directory.Exists(path) ? "a folder" : "a link to nothing")}, not a file: make it the model's config file, or remove it");
        }

        CheckSize(path, $"model '{modelName}': {fileName}", "a model's config is kilobytes");
        var text = Serving.Hosting.Configuration.RepositoryFile.ReadAllText(path);
        ModelConfig? config;
        try
        {
            config = fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                ? JsonSerializer.Deserialize<ModelConfig>(text, Json)
                : Yaml.Deserialize<ModelConfig>(text);
        }
        catch (Exception e) when (e is YamlException || (e is InvalidOperationException or ArgumentException && !fileName.EndsWith(".json", StringComparison.OrdinalIgnoreCase)))
        {
            // YamlDotNet's parser gives up on some broken text (a bracket never closed, keys after a '...' end marker)
            // with an InvalidOperationException that has no position, and on a tag that is not a URI with an ArgumentException.
            throw new ModelConfigException($"model '{modelName}': {fileName} {ModelConfigYamlErrors.Describe(text, e, fileName)}");
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"model '{modelName}': {fileName} {ModelConfigJsonErrors.Describe(e, fileName)}");
        }

        config ??= new ModelConfig();
        Validate(modelName, fileName, Path.GetDirectoryName(Path.GetFullPath(path))!, config);
        return config;
    }

    private static void CheckSize(string path, string what, string hint)
    {
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
        {
            throw new ModelConfigException(
                $"{what} is {length.ToString(CultureInfo.InvariantCulture)} bytes, over the {(MaxFileBytes >> 20).ToString(CultureInfo.InvariantCulture)} MiB such a file may hold ({hint}): is it the right file?");
        }
    }

    private static void Validate(string modelName, string file, string directory, ModelConfig config)
    {
        string Where(string field) => $"model '{modelName}': {file}: '{field}'";
        if (config.Name is not null && config.Name != modelName)
        {
            throw new ModelConfigException($"{Where("name")} is '{config.Name}' but the folder is '{modelName}'; they must match");
        }

        if (config.Platform is not null and not "onnxruntime_onnx" and not "onnx")
        {
            throw new ModelConfigException($"{Where("platform")} is '{config.Platform}'; only onnxruntime_onnx is served");
        }

        if (config.MaxBatchSize < 0)
        {
            throw new ModelConfigException($"{Where("max_batch_size")} must be 0 (no batching) or positive");
        }

        ValidateTensors(config.Inputs, "inputs", config.MaxBatchSize, Where);
        ValidateTensors(config.Outputs, "outputs", config.MaxBatchSize, Where);
        ReadLabels(config, directory, Where);
        ValidatePolicy(config.VersionPolicy, Where);
        ValidateBatching(config, Where);
        ValidateFeatures(config, directory, Where);
        if (config.Runtime is { } runtime)
        {
            if (runtime.ExecutionProvider is not null and not "auto" and not "cpu" and not "cuda")
            {
                throw new ModelConfigException($"{Where("runtime.execution_provider")} is '{runtime.ExecutionProvider}'; use auto, cpu or cuda");
            }

            if (runtime.GraphOptimizationLevel is not null and not "disable" and not "basic" and not "extended" and not "all")
            {
                throw new ModelConfigException($"{Where("runtime.graph_optimization_level")} is '{runtime.GraphOptimizationLevel}'; use disable, basic, extended or all");
            }

            if (runtime.DeviceId < 0)
            {
                throw new ModelConfigException($"{Where("runtime.device_id")} must not be negative");
            }

            // ONNX Runtime starts every thread it is given when the session is made: 100000 took the worker's memory
            // up by tens of MB a second while the whole repository waited on that one load.
            foreach (var (key, threads) in new[] { ("intra_op_threads", runtime.IntraOpThreads), ("inter_op_threads", runtime.InterOpThreads) })
            {
                if (threads is < 0 or > MaxThreads)
                {
                    throw new ModelConfigException(
                        $"{Where("runtime." + key)} is {threads.ToString(CultureInfo.InvariantCulture)}; give 0 (ONNX Runtime's default: one per core) to {MaxThreads.ToString(CultureInfo.InvariantCulture)}");
                }
            }
        }
    }

    private static void ValidateTensors(List<TensorConfig>? tensors, string field, int maxBatchSize, Func<string, string> where)
    {
        if (tensors is null)
        {
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            if (t is null)
            {
                throw new ModelConfigException($"{where($"{field}[{i}]")} is empty");
            }

            if (string.IsNullOrEmpty(t.Name) || !names.Add(t.Name))
            {
                throw new ModelConfigException($"{where($"{field}[{i}].name")} is missing or repeated");
            }

            if (!DataTypes.TryParse(t.Datatype, out _))
            {
                throw new ModelConfigException($"{where($"{field}[{i}].datatype")} '{t.Datatype}' is not a datatype (BOOL, INT8..INT64, UINT8..UINT64, FP16, BF16, FP32, FP64, BYTES)");
            }

            if (t.Shape is null || t.Shape.Exists(d => d < -1 || d == 0))
            {
                throw new ModelConfigException($"{where($"{field}[{i}].shape")} must list dimensions that are positive or -1 (variable)");
            }

            if (maxBatchSize > 0 && (t.Shape.Count == 0 || t.Shape[0] != -1))
            {
                throw new ModelConfigException($"{where($"{field}[{i}].shape")}: with max_batch_size > 0 the first dimension is the batch and must be -1");
            }
        }
    }

    /// <summary>Reads each output's <c>labels_file</c>: a file next to model.yaml, on a numeric output, with at least one label.</summary>
    private static void ReadLabels(ModelConfig config, string directory, Func<string, string> where)
    {
        if (config.Inputs?.FindIndex(t => t.LabelsFile is not null) is >= 0 and var input)
        {
            throw new ModelConfigException($"{where($"inputs[{input}].labels_file")}: labels belong to outputs");
        }

        for (var i = 0; i < (config.Outputs?.Count ?? 0); i++)
        {
            var output = config.Outputs![i];
            if (output.LabelsFile is not { } file)
            {
                continue;
            }

            var path = Path.Combine(directory, file);
            if (!ModelNames.IsValidName(file) || !File.Exists(path))
            {
                throw new ModelConfigException($"{where($"outputs[{i}].labels_file")} '{file}' is not a file next to the model's config");
            }

            if (output.Datatype == "BYTES")
            {
                throw new ModelConfigException($"{where($"outputs[{i}].labels_file")}: '{output.Name}' is BYTES; labels name the classes of a numeric output");
            }

            CheckSize(path, $"{where($"outputs[{i}].labels_file")} '{file}'", "one label per line");
            var labels = Serving.Hosting.Configuration.RepositoryFile.ReadAllLines(path);
            var count = labels.Length;
            while (count > 0 && labels[count - 1].Length == 0)
            {
                count--; // a trailing newline, not a label
            }

            output.Labels = count > 0
                ? labels[..count]
                : throw new ModelConfigException($"{where($"outputs[{i}].labels_file")} '{file}' holds no labels (one per line, line i for class i)");
        }
    }

    private static void ValidateBatching(ModelConfig config, Func<string, string> where)
    {
        if (config.DynamicBatching is not { } b)
        {
            return;
        }

        if (b.MaxQueueDelayUs < 0 || b.MaxQueueDelayUs > 10_000_000)
        {
            throw new ModelConfigException($"{where("dynamic_batching.max_queue_delay_us")} must be between 0 and 10000000");
        }

        if (b.ArrivalGapUs < 0 || b.ArrivalGapUs > 10_000_000)
        {
            throw new ModelConfigException($"{where("dynamic_batching.arrival_gap_us")} must be between 0 and 10000000");
        }

        if (b.ArrivalGapUs > 0 && b.MaxQueueDelayUs == 0)
        {
            throw new ModelConfigException(
                $"{where("dynamic_batching.arrival_gap_us")} ends a partial batch's wait early, but max_queue_delay_us is 0 (no wait): set max_queue_delay_us, or remove arrival_gap_us");
        }

        if (b.MaxQueueSize < 1)
        {
            throw new ModelConfigException($"{where("dynamic_batching.max_queue_size")} must be at least 1");
        }

        if (b.Instances < 1 || b.Instances > 64)
        {
            throw new ModelConfigException($"{where("dynamic_batching.instances")} must be between 1 and 64");
        }

        if (b.DefaultTimeoutMs < 0 || b.DefaultTimeoutMs > MaxDefaultTimeoutMs)
        {
            throw new ModelConfigException($"{where("dynamic_batching.default_timeout_ms")} must be between 0 (none) and {MaxDefaultTimeoutMs} (one day)");
        }

        if (b.PreferredBatchSizes is { } preferred && preferred.Exists(p => p < 1 || (config.MaxBatchSize > 0 && p > config.MaxBatchSize)))
        {
            throw new ModelConfigException($"{where("dynamic_batching.preferred_batch_sizes")} must be between 1 and max_batch_size ({config.MaxBatchSize})");
        }
    }

    private static void ValidateFeatures(ModelConfig config, string directory, Func<string, string> where)
    {
        if (config.Features is not { } f)
        {
            return;
        }

        if (string.IsNullOrEmpty(f.EntityInput) || string.IsNullOrEmpty(f.TargetInput) || f.EntityInput == f.TargetInput)
        {
            throw new ModelConfigException($"{where("features")}: entity_input and target_input are required and must differ");
        }

        if (string.IsNullOrEmpty(f.KeyPattern) || !f.KeyPattern.Contains("{id}", StringComparison.Ordinal))
        {
            throw new ModelConfigException($"{where("features.key_pattern")} must contain {{id}}");
        }

        if (f.FieldsFile is { } file)
        {
            var fieldsPath = Path.Combine(directory, file);
            if (!ModelNames.IsValidName(file) || !File.Exists(fieldsPath))
            {
                throw new ModelConfigException($"{where("features.fields_file")} '{file}' is not a file next to the model's config");
            }

            CheckSize(fieldsPath, $"{where("features.fields_file")} '{file}'", "one field name per line");
            f.Fields = Serving.Hosting.Configuration.RepositoryFile.ReadAllLines(fieldsPath).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            if (f.Fields.Count == 0)
            {
                throw new ModelConfigException($"{where("features.fields_file")} '{file}' is empty: list the fields in it, one per line");
            }

            if (f.Fields.Distinct(StringComparer.Ordinal).Count() != f.Fields.Count)
            {
                throw new ModelConfigException($"{where("features.fields_file")} '{file}' names a field twice: {f.Fields.GroupBy(n => n, StringComparer.Ordinal).First(g => g.Count() > 1).Key}");
            }
        }

        if (f.Fields is not { Count: > 0 } || f.Fields.Distinct(StringComparer.Ordinal).Count() != f.Fields.Count)
        {
            throw new ModelConfigException($"{where("features.fields")} must list distinct field names (or name a fields_file)");
        }

        if (f.Layout is not FeatureLayouts.Hash and not FeatureLayouts.Packed)
        {
            throw new ModelConfigException($"{where("features.layout")} is '{f.Layout}'; use hash or packed");
        }

        if (f.Layout == FeatureLayouts.Packed && PackedFeatures.FirstRefused(f.Fields) is { } bad)
        {
            throw new ModelConfigException($"{where("features.fields")}: field '{bad.Name}' {bad.Why}; rename it or use layout: hash");
        }

        if (f.OnMissing is not "defaults" and not "error")
        {
            throw new ModelConfigException($"{where("features.on_missing")} is '{f.OnMissing}'; use defaults or error");
        }

        if (f.OnUnavailable is not "fail_open" and not "fail_closed")
        {
            throw new ModelConfigException($"{where("features.on_unavailable")} is '{f.OnUnavailable}'; use fail_open or fail_closed");
        }

        if (f.NearCacheTtlMs < 0 || f.NearCacheSize < 1)
        {
            throw new ModelConfigException($"{where("features")}: near_cache_ttl_ms must be >= 0 and near_cache_size >= 1");
        }

        if (f.Defaults?.Keys.FirstOrDefault(k => !f.Fields.Contains(k)) is { } unknown)
        {
            throw new ModelConfigException($"{where("features.defaults")} names '{unknown}', which is not a field");
        }

        // A default stands in for a value the store lacks or can't give as a number: it must be one the model takes
        // (.nan or .inf would turn every defaulted row's answer into NaN).
        if (!double.IsFinite(f.Default))
        {
            throw new ModelConfigException($"{where("features.default")} is {f.Default.ToString(CultureInfo.InvariantCulture)}; a default must be a finite number");
        }

        if (f.Defaults?.FirstOrDefault(d => !double.IsFinite(d.Value)) is { Key: { } field, Value: var value })
        {
            throw new ModelConfigException($"{where("features.defaults")} gives '{field}' {value.ToString(CultureInfo.InvariantCulture)}; a default must be a finite number");
        }

        if (f.Csv is { } csv && (!ModelNames.IsValidName(csv) || !File.Exists(Path.Combine(directory, csv))))
        {
            throw new ModelConfigException($"{where("features.csv")} '{csv}' is not a file next to the model's config");
        }
    }

    private static void ValidatePolicy(VersionPolicyConfig? policy, Func<string, string> where)
    {
        if (policy is null)
        {
            return;
        }

        var chosen = (policy.All is not null ? 1 : 0) + (policy.Latest is not null ? 1 : 0) + (policy.Specific is not null ? 1 : 0);
        if (chosen != 1)
        {
            throw new ModelConfigException($"{where("version_policy")} must name exactly one of all, latest, specific");
        }

        if (policy.Latest is { NumVersions: < 1 })
        {
            throw new ModelConfigException($"{where("version_policy.latest.num_versions")} must be at least 1");
        }

        if (policy.Specific is { } specific && (specific.Versions is null || specific.Versions.Count == 0 || specific.Versions.Exists(v => v < 1)))
        {
            throw new ModelConfigException($"{where("version_policy.specific.versions")} must list positive version numbers");
        }
    }
}
