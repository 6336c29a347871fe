using Serving.Worker.Models;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Models;

public sealed class ModelConfigLoaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string> RepositoryModels()
    {
        var data = new TheoryData<string>();
        foreach (var root in new[] { RepoPaths.Models, RepoPaths.TestModels })
        {
            foreach (var dir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(RepoPaths.Root, dir));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RepositoryModels))]
    public void Load_RepositoryModelYaml_LoadsWithNameMatchingFolder(string relativeDirectory)
    {
        var directory = Path.Combine(RepoPaths.Root, relativeDirectory);
        var name = Path.GetFileName(directory);
        var path = ModelConfigLoader.Find(directory);

        Assert.NotNull(path);
        var config = ModelConfigLoader.Load(name, path);

        Assert.Equal(name, config.Name);
        Assert.Equal("onnxruntime_onnx", config.Platform);
        Assert.NotEmpty(config.Inputs!);
        Assert.NotEmpty(config.Outputs!);
    }

    [Fact]
    public void Load_TabularYaml_ReadsEveryField()
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml"));

        Assert.Equal(64, config.MaxBatchSize);
        Assert.NotNull(config.VersionPolicy?.All);
        Assert.Null(config.VersionPolicy.Latest);
        var input = Assert.Single(config.Inputs!);
        Assert.Equal(("input", "FP32"), (input.Name, input.Datatype));
        Assert.Equal([-1L, 30L], input.Shape);
        var output = Assert.Single(config.Outputs!);
        Assert.Equal(("probabilities", "FP32"), (output.Name, output.Datatype));
        Assert.Equal([-1L, 2L], output.Shape);
    }

    [Fact]
    public void Load_SnakeCaseJson_LoadsEveryField()
    {
        var path = _temp.Write("m/model.json", """
            {
              // comments are allowed
              "name": "m",
              "platform": "onnxruntime_onnx",
              "max_batch_size": 8,
              "version_policy": { "latest": { "num_versions": 2 } },
              "inputs": [ { "name": "x", "datatype": "INT64", "shape": [-1, 3] } ],
              "outputs": [ { "name": "y", "datatype": "FP32", "shape": [-1] } ],
              "runtime": { "execution_provider": "cpu", "intra_op_threads": 2, "graph_optimization_level": "basic", "allow_spinning": true }
            }
            """);

        var config = ModelConfigLoader.Load("m", path);

        Assert.Equal(8, config.MaxBatchSize);
        Assert.Equal(2, config.VersionPolicy!.Latest!.NumVersions);
        Assert.Equal([-1L, 3L], Assert.Single(config.Inputs!).Shape);
        Assert.Equal("INT64", config.Inputs![0].Datatype);
        Assert.Equal("y", Assert.Single(config.Outputs!).Name);
        Assert.Equal("cpu", config.Runtime!.ExecutionProvider);
        Assert.Equal(2, config.Runtime.IntraOpThreads);
        Assert.Equal("basic", config.Runtime.GraphOptimizationLevel);
        Assert.True(config.Runtime.AllowSpinning);
    }

    [Fact]
    public void Find_JsonOnly_ReturnsJsonFile()
    {
        var path = _temp.Write("m/model.json", "{}");

        Assert.Equal(path, ModelConfigLoader.Find(_temp.Combine("m")));
    }

    [Fact]
    public void Find_NoConfigFile_ReturnsNull()
    {
        Directory.CreateDirectory(_temp.Combine("m"));

        Assert.Null(ModelConfigLoader.Find(_temp.Combine("m")));
    }

    [Fact]
    public void Load_EmptyYaml_GivesDefaults()
    {
        var config = ModelConfigLoader.Load("m", _temp.Write("m/model.yaml", ""));

        Assert.Null(config.Name);
        Assert.Equal(0, config.MaxBatchSize);
        Assert.Null(config.Inputs);
        Assert.Null(config.VersionPolicy);
    }

    /// <summary>
    /// A "billion laughs" file: twelve anchors, each a list of ten aliases of the one before (10^12 values if expanded).
    /// Wherever it stands it is refused at its first wrong value, and nothing expands it: not the deserializer, not the
    /// description of the refusal. A guard (it passed before it was written down); the bounded wait turns a hang into a
    /// failure.
    /// </summary>
    [Theory]
    [InlineData("inputs: ", "line 1, column 10: inputs[0]: a list is not a mapping with the keys name, datatype, shape")]
    [InlineData("dynamic_batching: { preferred_batch_sizes: ", "dynamic_batching.preferred_batch_sizes[0]: a list is not a whole number")]
    [InlineData("laughs: ", "line 1, column 1: 'laughs' is not a key of model.yaml")]
    public async Task Load_AliasesThatWouldExpandToATrillionValues_RefusedAtOnce(string before, string expected)
    {
        var lists = Enumerable.Range(0, 12).Select(i =>
            $"&a{i} [{string.Join(", ", Enumerable.Repeat(i == 0 ? "1" : $"*a{i - 1}", 10))}]");
        var yaml = before + "[" + string.Join(", ", lists) + "]" + (before.Contains('{') ? " }" : "") + "\nname: m\n";

        var e = await Task.Run(() => LoadYamlFails(yaml)).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownTopLevelYamlKey_ThrowsNamingKeyAndLine()
    {
        var e = LoadYamlFails("""
            name: m
            max_batch_size: 0
            versions_policy: { all: {} }
            """);

        Assert.Contains("'versions_policy'", e.Message);
        Assert.Contains("line 3", e.Message);
        Assert.Contains("model.yaml", e.Message);
    }

    [Fact]
    public void Load_UnknownNestedYamlKey_ThrowsNamingKeyAndLine()
    {
        var e = LoadYamlFails("""
            name: m
            inputs:
              - { name: x, dtype: FP32, shape: [4] }
            """);

        Assert.Contains("'inputs[0].dtype' is not a key of inputs[0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void Load_UnknownJsonKey_ThrowsNamingKey()
    {
        var path = _temp.Write("m/model.json", """{ "name": "m", "maxBatchSize": 4 }""");

        var e = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Load("m", path));

        Assert.Contains("'maxBatchSize'", e.Message);
        Assert.Contains("model.json", e.Message);
    }

    [Fact]
    public void Load_UnknownJsonKey_ThrowsNamingLine()
    {
        var path = _temp.Write("m/model.json", "{\n  \"name\": \"m\",\n  \"maxBatchSize\": 4\n}");

        var e = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Load("m", path));

        Assert.Contains("'maxBatchSize'", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void Load_NotANumber_ThrowsNamingLine()
    {
        var e = LoadYamlFails("""
            name: m
            max_batch_size: lots
            """);

        Assert.Contains("line 2", e.Message);
        Assert.Contains("lots", e.Message);
    }

    /// <summary>The key, the value and what the key takes, in model.yaml's terms: never a .NET type name.</summary>
    [Theory]
    [InlineData("max_batch_size: lots", "line 1, column 17: max_batch_size: 'lots' is not a whole number (up to 2147483647)")]
    [InlineData("max_batch_size: 1.5", "line 1, column 17: max_batch_size: '1.5' is not a whole number")]
    [InlineData("max_batch_size: 99999999999", "line 1, column 17: max_batch_size: '99999999999' is not a whole number (up to 2147483647)")]
    [InlineData("max_batch_size: [1]", "line 1, column 17: max_batch_size: a list is not a whole number")]
    [InlineData("dynamic_batching: 5", "line 1, column 19: dynamic_batching: '5' is not a mapping with the keys enabled, max_queue_delay_us, arrival_gap_us, preferred_batch_sizes, max_queue_size, instances, default_timeout_ms")]
    [InlineData("dynamic_batching: { enabled: maybe }", "dynamic_batching.enabled: 'maybe' is not true or false")]
    [InlineData("dynamic_batching: { preferred_batch_sizes: [1, x] }", "line 1, column 48: dynamic_batching.preferred_batch_sizes[1]: 'x' is not a whole number")]
    [InlineData("dynamic_batching:\n  instances: two", "line 2, column 14: dynamic_batching.instances: 'two' is not a whole number")]
    [InlineData("features: { defaults: { mean_radius: big } }", "features.defaults.mean_radius: 'big' is not a number")]
    [InlineData("inputs:\n  - name: x\n    dims: [4]", "line 3, column 5: 'inputs[0].dims' is not a key of inputs[0]: its keys are name, datatype, shape, labels_file")]
    [InlineData("dynamic_batching:\n  max_queue_delay_microseconds: 100", "line 2, column 3: 'dynamic_batching.max_queue_delay_microseconds' is not a key of dynamic_batching: its keys are enabled, max_queue_delay_us, arrival_gap_us, preferred_batch_sizes, max_queue_size, instances, default_timeout_ms")]
    [InlineData("runtime:\n  intra_op_thread: 1\n  device_id: 0", "line 2, column 3: 'runtime.intra_op_thread' is not a key of runtime: its keys are")]
    [InlineData("inputs:\n  - dims: [4]\n    name: x", "line 2, column 5: 'inputs[0].dims' is not a key of inputs[0]: its keys are name, datatype, shape, labels_file")]
    [InlineData("instances: 2", "line 1, column 1: 'instances' is not a key of model.yaml: its keys are name, platform, description, version_policy, max_batch_size, inputs, outputs, runtime, dynamic_batching, features")]
    [InlineData("max_batch_size: [oops", "(check the indentation, quotes and brackets there)")]
    [InlineData("name: m\nversion_policy: {\nmax_batch_size: 64", "line 2, column 17: this { (a mapping) is never closed")]
    [InlineData("name: m\ndespe: [1, 2\nmax_batch_size: 4", "line 2, column 8: this [ (a list) is never closed")]
    [InlineData("name:\n  - { name: p: m\nplatform: onnx\nmax_batch_size: 4", "line 2, column 5: this { (a mapping) is never closed: close it, or write the value without brackets")]
    [InlineData("...\nname: m", "model.yaml line 1, column 1: '...' ends the document before its keys: remove it")]
    [InlineData("max_batch_size: !!binar[ 4", "model.yaml line 1, column 17: the tag '!!binar[' is not a valid tag: remove it")]
    [InlineData("name: m\ninputs:\n\t- name: x", "line 3: a tab in the indentation: indent YAML with spaces")]
    [InlineData("- a\n- b", "line 1, column 1: model.yaml must be a mapping of keys (name, platform,")]
    [InlineData("just text", "line 1, column 1: model.yaml must be a mapping of keys (name, platform,")]
    public void Load_WrongYaml_SaysTheKeyAndWhatItTakes(string yaml, string expected)
    {
        var e = LoadYamlFails(yaml.Replace("\\n", "\n", StringComparison.Ordinal));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Serving.", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Lists and mappings nested past any config's depth are refused saying where: describing the deserializer's refusal
    /// read them by recursion, and 100,000 brackets overflowed the stack, ending the worker.
    /// </summary>
    [Theory]
    [InlineData("max_batch_size: ", "line 1, column 80")]
    [InlineData("version_policy: { all: { x: ", "line 1, column 90")]
    public void Load_YamlNestedDeeperThanAnyConfig_SaysWhere(string before, string expected)
    {
        var e = LoadYamlFails(before + new string('[', 100_000) + new string(']', 100_000) + (before.Contains('{') ? " } }" : ""));

        Assert.Contains($"{expected}: values nest more than 64 deep here", e.Message, StringComparison.Ordinal);
    }

    /// <summary>model.json's mistakes in its own terms too: the key or value, never a .NET type or member.</summary>
    [Theory]
    [InlineData("""{ "name": "m", "bogus": 1 }""", "'bogus' is not a key of model.json")]
    [InlineData("""{ "name": "m", "max_batch_size": "lots" }""", "max_batch_size")]
    [InlineData("""{ "name": "m", "max_batch_size": 1.5 }""", "max_batch_size")]
    [InlineData("""{ "name": "m", "dynamic_batching": { "instances": "two" } }""", "dynamic_batching.instances")]
    [InlineData("""[1, 2]""", "model.json must be a JSON object")]
    public void Load_WrongJson_SaysTheKey_NeverADotNetType(string json, string expected)
    {
        var path = _temp.Write("m/model.json", json);

        var e = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Load("m", path));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Serving.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NameDifferentFromFolder_ThrowsNamingField()
    {
        var e = LoadYamlFails("name: other");

        Assert.Contains("'name'", e.Message);
        Assert.Contains("'other'", e.Message);
        Assert.Contains("'m'", e.Message);
    }

    [Fact]
    public void Load_UnsupportedPlatform_ThrowsNamingField()
    {
        var e = LoadYamlFails("platform: tensorflow_savedmodel");

        Assert.Contains("'platform'", e.Message);
        Assert.Contains("tensorflow_savedmodel", e.Message);
    }

    [Fact]
    public void Load_NegativeMaxBatchSize_ThrowsNamingField()
    {
        var e = LoadYamlFails("max_batch_size: -1");

        Assert.Contains("'max_batch_size'", e.Message);
    }

    [Fact]
    public void Load_BadDatatype_ThrowsNamingField()
    {
        var e = LoadYamlFails("""
            inputs:
              - { name: x, datatype: FLOAT32, shape: [4] }
            """);

        Assert.Contains("'inputs[0].datatype'", e.Message);
        Assert.Contains("FLOAT32", e.Message);
    }

    [Fact]
    public void Load_LowercaseDatatype_ThrowsNamingField()
    {
        var e = LoadYamlFails("""
            outputs:
              - { name: y, datatype: fp32, shape: [4] }
            """);

        Assert.Contains("'outputs[0].datatype'", e.Message);
    }

    [Fact]
    public void Load_BatchDimNotVariable_ThrowsNamingField()
    {
        var e = LoadYamlFails("""
            max_batch_size: 8
            inputs:
              - { name: a, datatype: FP32, shape: [-1, 4] }
              - { name: b, datatype: FP32, shape: [8, 4] }
            """);

        Assert.Contains("'inputs[1].shape'", e.Message);
        Assert.Contains("max_batch_size", e.Message);
    }

    [Fact]
    public void Load_FixedFirstDimWithoutBatching_Loads()
    {
        var config = LoadYaml("""
            max_batch_size: 0
            inputs:
              - { name: a, datatype: FP32, shape: [8, 4] }
            """);

        Assert.Equal([8L, 4L], config.Inputs![0].Shape);
    }

    [Theory]
    [InlineData("[0, 4]")]
    [InlineData("[4, 0]")]
    [InlineData("[-2]")]
    public void Load_ZeroOrBelowMinusOneDim_ThrowsNamingField(string shape)
    {
        var e = LoadYamlFails($"""
            outputs:
              - {"{"} name: y, datatype: FP32, shape: {shape} {"}"}
            """);

        Assert.Contains("'outputs[0].shape'", e.Message);
    }

    [Theory]
    [InlineData("instances: 0", "instances")]
    [InlineData("instances: 65", "instances")]
    [InlineData("max_queue_delay_us: -1", "max_queue_delay_us")]
    [InlineData("max_queue_delay_us: 10000001", "max_queue_delay_us")]
    [InlineData("max_queue_delay_us: 100, arrival_gap_us: -1", "arrival_gap_us")]
    [InlineData("max_queue_delay_us: 100, arrival_gap_us: 10000001", "arrival_gap_us")]
    [InlineData("arrival_gap_us: 50", "arrival_gap_us")]
    [InlineData("max_queue_delay_us: 0, arrival_gap_us: 50", "arrival_gap_us")]
    [InlineData("max_queue_size: 0", "max_queue_size")]
    [InlineData("max_queue_size: -5", "max_queue_size")]
    [InlineData("default_timeout_ms: -1", "default_timeout_ms")]
    [InlineData("default_timeout_ms: 86400001", "default_timeout_ms")]
    [InlineData("default_timeout_ms: 10000000000000000", "default_timeout_ms")]
    [InlineData("preferred_batch_sizes: [0]", "preferred_batch_sizes")]
    [InlineData("preferred_batch_sizes: [-2, 4]", "preferred_batch_sizes")]
    [InlineData("preferred_batch_sizes: [4, 9]", "preferred_batch_sizes")]
    public void Load_BatchingSettingOutOfRange_ThrowsNamingField(string setting, string field)
    {
        var e = LoadYamlFails($"""
            max_batch_size: 8
            dynamic_batching: {"{"} {setting} {"}"}
            """);

        Assert.Contains($"'dynamic_batching.{field}'", e.Message);
    }

    [Theory]
    [InlineData("max_queue_delay_us: 0")]
    [InlineData("max_queue_delay_us: 10000000")]
    [InlineData("max_queue_size: 1")]
    [InlineData("max_queue_delay_us: 300, arrival_gap_us: 60")]
    [InlineData("max_queue_delay_us: 1, arrival_gap_us: 10000000")]
    [InlineData("instances: 64")]
    [InlineData("default_timeout_ms: 0")]
    [InlineData("default_timeout_ms: 86400000")]
    [InlineData("preferred_batch_sizes: [1, 8]")]
    public void Load_BatchingSettingAtLimit_Loads(string setting)
    {
        var path = _temp.Write("m/model.yaml", $"""
            max_batch_size: 8
            dynamic_batching: {"{"} {setting} {"}"}
            """);

        Assert.NotNull(ModelConfigLoader.Load("m", path).DynamicBatching);
    }

    [Fact]
    public void Load_MissingShape_ThrowsNamingField()
    {
        var e = LoadYamlFails("""
            inputs:
              - { name: x, datatype: FP32 }
            """);

        Assert.Contains("'inputs[0].shape'", e.Message);
    }

    [Fact]
    public void Load_EmptyTensorListItem_ThrowsNamingField()
    {
        var path = _temp.Write("m/model.yaml", """
            inputs:
              - { name: x, datatype: FP32, shape: [4] }
              -
            """);

        var e = Record.Exception(() => ModelConfigLoader.Load("m", path));

        var config = Assert.IsType<ModelConfigException>(e);
        Assert.Contains("'inputs[1]", config.Message);
    }

    [Fact]
    public void Load_RepeatedTensorName_ThrowsNamingField()
    {
        var e = LoadYamlFails("""
            inputs:
              - { name: x, datatype: FP32, shape: [4] }
              - { name: x, datatype: FP32, shape: [4] }
            """);

        Assert.Contains("'inputs[1].name'", e.Message);
    }

    [Fact]
    public void Load_PolicyWithTwoChoices_ThrowsNamingField()
    {
        var e = LoadYamlFails("version_policy: { all: {}, latest: { num_versions: 2 } }");

        Assert.Contains("'version_policy'", e.Message);
        Assert.Contains("exactly one", e.Message);
    }

    [Fact]
    public void Load_PolicyWithNoChoice_ThrowsNamingField()
    {
        var e = LoadYamlFails("version_policy: {}");

        Assert.Contains("'version_policy'", e.Message);
    }

    [Fact]
    public void Load_LatestZeroVersions_ThrowsNamingField()
    {
        var e = LoadYamlFails("version_policy: { latest: { num_versions: 0 } }");

        Assert.Contains("'version_policy.latest.num_versions'", e.Message);
    }

    [Fact]
    public void Load_LatestWithoutCount_DefaultsToOne()
    {
        var config = LoadYaml("version_policy: { latest: {} }");

        Assert.Equal(1, config.VersionPolicy!.Latest!.NumVersions);
    }

    [Theory]
    [InlineData("version_policy: { specific: { versions: [] } }")]
    [InlineData("version_policy: { specific: {} }")]
    [InlineData("version_policy: { specific: { versions: [1, 0] } }")]
    public void Load_SpecificEmptyOrNotPositive_ThrowsNamingField(string yaml)
    {
        var e = LoadYamlFails(yaml);

        Assert.Contains("'version_policy.specific.versions'", e.Message);
    }

    [Fact]
    public void Load_BogusExecutionProvider_ThrowsNamingField()
    {
        var e = LoadYamlFails("runtime: { execution_provider: tpu }");

        Assert.Contains("'runtime.execution_provider'", e.Message);
        Assert.Contains("'tpu'", e.Message);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("cpu")]
    [InlineData("cuda")]
    public void Load_KnownExecutionProvider_Loads(string provider)
    {
        var config = LoadYaml($"runtime: {{ execution_provider: {provider} }}");

        Assert.Equal(provider, config.Runtime!.ExecutionProvider);
    }

    [Fact]
    public void Load_BogusGraphOptimizationLevel_ThrowsNamingField()
    {
        var e = LoadYamlFails("runtime: { graph_optimization_level: max }");

        Assert.Contains("'runtime.graph_optimization_level'", e.Message);
        Assert.Contains("'max'", e.Message);
    }

    [Fact]
    public void Load_NegativeDeviceId_ThrowsNamingField()
    {
        var e = LoadYamlFails("runtime: { device_id: -2 }");

        Assert.Contains("'runtime.device_id' must not be negative", e.Message);
    }

    /// <summary>
    /// ONNX Runtime starts every thread it is given when the session is made: intra_op_threads: 100000 was taken, and the
    /// load grew the worker's memory by about 40 MB a second, LOADING, while every other model's sync and the shutdown waited.
    /// </summary>
    [Theory]
    [InlineData("intra_op_threads", 100000)]
    [InlineData("inter_op_threads", 1025)]
    [InlineData("intra_op_threads", -2)]
    public void Load_ThreadCountPastTheLimit_RefusedNamingTheKeyAndTheRange(string key, int threads)
    {
        var e = LoadYamlFails($"runtime: {{ {key}: {threads} }}");

        Assert.EndsWith($"'runtime.{key}' is {threads}; give 0 (ONNX Runtime's default: one per core) to 1024", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ThreadCountAtTheLimit_Taken()
    {
        var path = _temp.Write("m/model.yaml", "runtime: { intra_op_threads: 1024, inter_op_threads: 1024 }");

        Assert.Equal(1024, ModelConfigLoader.Load("m", path).Runtime!.IntraOpThreads);
    }

    [Fact]
    public void Load_JsonValidationError_NamesField()
    {
        var path = _temp.Write("m/model.json", """{ "max_batch_size": -3 }""");

        var e = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Load("m", path));

        Assert.Contains("model.json", e.Message);
        Assert.Contains("'max_batch_size'", e.Message);
    }

    private ModelConfig LoadYaml(string yaml) => ModelConfigLoader.Load("m", _temp.Write("m/model.yaml", yaml));

    [Fact]
    public void Load_FeatureLayout_DefaultsToHash_PackedRead()
    {
        Assert.Equal("hash", ModelConfigLoader.Load("m", _temp.Write("m/model.yaml", FeaturesYaml(""))).Features!.Layout);
        Assert.Equal("packed", ModelConfigLoader.Load("m", _temp.Write("m/model.yaml", FeaturesYaml("  layout: packed\n"))).Features!.Layout);
    }

    [Fact]
    public void Load_UnknownFeatureLayout_ThrowsNamingFieldAndChoices()
    {
        var e = LoadYamlFails(FeaturesYaml("  layout: json\n"));

        Assert.Contains("'features.layout'", e.Message);
        Assert.Contains("'json'; use hash or packed", e.Message);
    }

    [Fact]
    public void Load_PackedLayoutWithSeparatorInAFieldName_ThrowsNamingTheField()
    {
        var e = LoadYamlFails(FeaturesYaml("  layout: packed\n", "[a, \"b=c\"]"));

        Assert.Contains("field 'b=c' holds '='", e.Message);
        Assert.Contains("layout: hash", e.Message);
    }

    /// <summary>A default stands in for a missing value: .nan or .inf there would make every defaulted row's answer NaN.</summary>
    [Theory]
    [InlineData("  default: .nan\n", "'features.default' is NaN; a default must be a finite number")]
    [InlineData("  default: .inf\n", "'features.default' is Infinity; a default must be a finite number")]
    [InlineData("  defaults: { b: -.inf }\n", "'features.defaults' gives 'b' -Infinity; a default must be a finite number")]
    [InlineData("  defaults: { a: 1.5, b: .NaN }\n", "'features.defaults' gives 'b' NaN; a default must be a finite number")]
    public void Load_FeatureDefaultNotFinite_ThrowsNamingTheField(string extra, string message)
    {
        Assert.Contains(message, LoadYamlFails(FeaturesYaml(extra)).Message, StringComparison.Ordinal);
    }

    /// <summary>A key given twice (the second silently won) is refused, naming the line: one of the two was a mistake.</summary>
    [Fact]
    public void Load_KeyGivenTwice_ThrowsNamingTheLine()
    {
        var e = LoadYamlFails("max_batch_size: 8\nmax_batch_size: 0\n");

        Assert.Contains("model.yaml", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("max_batch_size", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FeatureDefaultsFinite_Load()
    {
        var features = ModelConfigLoader.Load("m", _temp.Write("m/model.yaml", FeaturesYaml("  default: -2.5e10\n  defaults: { b: 0.125 }\n"))).Features!;

        Assert.Equal(-2.5e10, features.Default);
        Assert.Equal(0.125, features.Defaults!["b"]);
    }

    [Fact]
    public void Load_HashLayoutWithSeparatorInAFieldName_Loads()
    {
        Assert.Equal(["a", "b=c"], ModelConfigLoader.Load("m", _temp.Write("m/model.yaml", FeaturesYaml("", "[a, \"b=c\"]"))).Features!.Fields);
    }

    /// <summary>An empty fields_file was refused as "'features.fields' must list distinct field names (or name a fields_file)", though one was named.</summary>
    [Theory]
    [InlineData("\n  \n", "'features.fields_file' 'names.txt' is empty: list the fields in it, one per line")]
    [InlineData("a\nb\na\n", "'features.fields_file' 'names.txt' names a field twice: a")]
    public void Load_FieldsFileEmptyOrRepeatingAField_ThrowsSayingSoOfTheFile(string names, string message)
    {
        _temp.Write("m/names.txt", names);

        var e = LoadYamlFails(FeaturesYaml("").Replace("  fields: [a, b]\n", "  fields_file: names.txt\n", StringComparison.Ordinal));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static string FeaturesYaml(string extra, string fields = "[a, b]") =>
        "inputs:\n  - { name: x, datatype: FP32, shape: [-1, 2] }\noutputs:\n  - { name: y, datatype: FP32, shape: [-1, 1] }\nmax_batch_size: 8\n"
        + $"features:\n  entity_input: id\n  target_input: x\n  key_pattern: \"f:{{id}}\"\n  fields: {fields}\n" + extra;

    [Fact]
    public void Load_OutputLabelsFile_ReadOneLabelPerLine_TrailingNewlineIgnored()
    {
        _temp.Write("m/labels.txt", "cat\ndog\n\n");

        var config = ModelConfigLoader.Load("m", _temp.Write("m/model.yaml", LabelsYaml("FP32", output: "labels_file: labels.txt")));

        Assert.Equal(["cat", "dog"], Assert.IsType<string[]>(config.Outputs![0].Labels));
        Assert.Null(config.Inputs![0].Labels);
    }

    [Theory]
    [InlineData("FP32", "labels_file: missing.txt", "", "'outputs[0].labels_file' 'missing.txt' is not a file next to the model's config")]
    [InlineData("FP32", "labels_file: ../labels.txt", "", "is not a file next to the model's config")]
    [InlineData("BYTES", "labels_file: labels.txt", "", "'y' is BYTES; labels name the classes of a numeric output")]
    [InlineData("FP32", "labels_file: empty.txt", "", "'empty.txt' holds no labels")]
    [InlineData("FP32", "", "labels_file: labels.txt", "'inputs[0].labels_file': labels belong to outputs")]
    public void Load_BadLabelsFile_ThrowsNamingFieldAndReason(string datatype, string output, string input, string message)
    {
        _temp.Write("labels.txt", "outside\n");
        _temp.Write("m/labels.txt", "a\n");
        _temp.Write("m/empty.txt", "\n");

        var e = LoadYamlFails(LabelsYaml(datatype, output, input));

        Assert.Contains(message, e.Message);
    }

    /// <summary>
    /// A config, labels or fields file over 16 MiB is refused before it is read (each is read whole into memory): before,
    /// a file of gigabytes in its place was read whole. The files here are sparse: a length, no data written.
    /// </summary>
    [Theory]
    [InlineData("model.yaml", "model 'm': model.yaml is 16777217 bytes, over the 16 MiB such a file may hold (a model's config is kilobytes)")]
    [InlineData("labels.txt", "'outputs[0].labels_file' 'labels.txt' is 16777217 bytes, over the 16 MiB such a file may hold (one label per line)")]
    [InlineData("names.txt", "'features.fields_file' 'names.txt' is 16777217 bytes, over the 16 MiB such a file may hold (one field name per line)")]
    public void Load_FileOverTheLimit_RefusedUnread(string big, string message)
    {
        var yaml = FeaturesYaml("").Replace("  fields: [a, b]\n", "  fields_file: names.txt\n", StringComparison.Ordinal)
            .Replace("shape: [-1, 1] }", "shape: [-1, 2], labels_file: labels.txt }", StringComparison.Ordinal);
        var path = _temp.Write("m/model.yaml", yaml);
        _temp.Write("m/labels.txt", "cat\ndog\n");
        _temp.Write("m/names.txt", "a\nb\n");
        Assert.Equal(["cat", "dog"], ModelConfigLoader.Load("m", path).Outputs![0].Labels!); // the same files, small, load
        using (var file = File.OpenWrite(Path.Combine(Path.GetDirectoryName(path)!, big)))
        {
            file.SetLength(ModelConfigLoader.MaxFileBytes + 1);
        }

        var e = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Load("m", path));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static string LabelsYaml(string datatype, string output, string input = "") =>
        $"inputs:\n  - {{ name: x, datatype: FP32, shape: [-1, 2]{(input.Length > 0 ? ", " + input : "")} }}\n"
        + $"outputs:\n  - {{ name: y, datatype: {datatype}, shape: [-1, 2]{(output.Length > 0 ? ", " + output : "")} }}\nmax_batch_size: 8\n";

    private ModelConfigException LoadYamlFails(string yaml)
    {
        var path = _temp.Write("m/model.yaml", yaml);
        var e = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Load("m", path));
        Assert.StartsWith("model 'm': model.yaml", e.Message);
        return e;
    }
}
