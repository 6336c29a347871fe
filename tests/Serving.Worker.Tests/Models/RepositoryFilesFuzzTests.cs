using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Serving.Worker.Features;
using Serving.Worker.Models;
using Serving.Worker.Runtime;
using YamlDotNet.RepresentationModel;

namespace Serving.Worker.Tests.Models;

/// <summary>
/// Seeded mutation sweep of the files an operator writes for a model: the shipped samples' model.yaml (and the same as
/// model.json), labels, fields and features.csv, with bytes flipped or cut, lines deleted or repeated, values swapped
/// for huge, NaN, negative, nested, long or mistyped ones, and unknown keys. Each is loaded by the real loaders (the
/// config, the in-memory feature store, the check against the ONNX graph): it loads, or is refused with a
/// <see cref="ModelConfigException"/> that says what is wrong in the file's terms, never another exception or a hang.
/// </summary>
public sealed class RepositoryFilesFuzzTests : IDisposable
{
    // Mutated files per run: 600 in CI; set REPOSITORY_FILES_FUZZ_ITERATIONS for a longer search (25,000 took about a minute)
    private static readonly int Iterations = OperatorFileMutations.Iterations("REPOSITORY_FILES_FUZZ_ITERATIONS", 600);

    // (model folder, the files of it that are mutated); model.json is made from model.yaml.
    private static readonly (string Folder, string[] Files)[] Samples =
    [
        (Path.Combine(RepoPaths.Models, "tabular"), ["model.yaml", "model.json", "labels.txt", "feature_names.txt", "features.csv"]),
        (Path.Combine(RepoPaths.Models, "digits"), ["model.yaml", "model.json"]),
        (Path.Combine(RepoPaths.Root, "loadtests", "models", "bench_mlp"), ["model.yaml", "model.json"]),
    ];

    // Words of .NET or YamlDotNet that a refusal leaking a library's own message would hold.
    private static readonly string[] Internals = ["System.", "YamlDotNet", "Serving.Worker", "Exception", "deserializ", "Nullable`"];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_MutatedOperatorFiles_LoadOrARefusalThatSaysWhy()
    {
        var models = Samples.Select(Prepare).ToArray();
        var random = new Random(71);
        var (loaded, refused) = (0, 0);
        var current = "";
        var failures = new OperatorFileMutations.Failures();
        try
        {
            OperatorFileMutations.WithinBound(
                () =>
                {
                    for (var i = 0; i < Iterations; i++)
                    {
                        var model = models[random.Next(models.Length)];
                        var file = model.Files[random.Next(model.Files.Length)];
                        var mutated = OperatorFileMutations.Mutate(model.Originals[file], random);
                        current = $"case {i}: {model.Name}/{file} = {Convert.ToBase64String(mutated)}";
                        File.WriteAllBytes(Path.Combine(model.Directory, file), mutated);
                        var config = file == "model.json" ? "model.json" : "model.yaml";
                        switch (LoadOrRefuse(model, config, current, failures))
                        {
                            case true:
                                loaded++;
                                break;
                            case false:
                                refused++;
                                break;
                        }

                        File.WriteAllText(Path.Combine(model.Directory, file), model.Originals[file]);
                    }
                },
                TimeSpan.FromMinutes(Math.Max(2, Iterations / 500)),
                () => current);
        }
        finally
        {
            foreach (var model in models)
            {
                model.Dispose();
            }
        }

        Assert.False(failures.Any, failures.ToString());
        Assert.True(loaded > Iterations / 20, $"loaded {loaded}");
        Assert.True(refused > Iterations / 5, $"refused {refused}");
    }

    [Fact]
    public void Load_UnmutatedSamples_Load()
    {
        foreach (var model in Samples.Select(Prepare))
        {
            using (model)
            {
                var failures = new OperatorFileMutations.Failures();
                Assert.True(LoadOrRefuse(model, "model.yaml", model.Name, failures), failures.ToString());
                Assert.True(LoadOrRefuse(model, "model.json", model.Name, failures), failures.ToString());
            }
        }
    }

    // True when the model's files load; false when they are refused with a ModelConfigException that says why; null
    // (and a failure added) otherwise.
    private static bool? LoadOrRefuse(Sample model, string configFile, string input, OperatorFileMutations.Failures failures)
    {
        var path = Path.Combine(model.Directory, configFile);
        try
        {
            var config = ModelConfigLoader.Load(model.Name, path);
            SignatureBuilder.Build(model.Name, 1, config, model.Session);
            if (config.Features is { } features)
            {
                // Rows that don't parse are left out and reported, each with its line and why.
                var csv = features.Csv is null ? null : Path.Combine(model.Directory, features.Csv);
                var rows = new List<FeatureCsv.BadRow>();
                InMemoryFeatureStore.Load(csv, features.KeyPattern!, features.Fields!, rows.Add);
                if (rows.Find(r => r.Line < 2 || string.IsNullOrWhiteSpace(r.Reason)) is { } unsaid)
                {
                    failures.Add("row", $"{input}: a refused row says no line or reason: {unsaid}");
                    return null;
                }
            }

            return true;
        }
        catch (ModelConfigException e)
        {
            if (Internals.FirstOrDefault(w => e.Message.Contains(w, StringComparison.Ordinal)) is { } leaked)
            {
                failures.Add("holds " + leaked + e.StackTrace?.Split('\n')[0], $"{input}: the refusal holds '{leaked}': {e.Message}");
                return null;
            }

            return false;
        }
        catch (Exception e)
        {
            failures.Add(e.GetType().Name + e.StackTrace?.Split('\n')[0], $"{input}: {e}");
            return null;
        }
    }

    private Sample Prepare((string Folder, string[] Files) sample)
    {
        var name = Path.GetFileName(sample.Folder);
        var directory = _temp.Combine(name);
        Directory.CreateDirectory(directory);
        var originals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in sample.Files.Where(f => f != "model.json"))
        {
            originals[file] = File.ReadAllText(Path.Combine(sample.Folder, file));
            File.WriteAllText(Path.Combine(directory, file), originals[file]);
        }

        originals["model.json"] = YamlToJson(originals["model.yaml"]);
        File.WriteAllText(Path.Combine(directory, "model.json"), originals["model.json"]);
        return new Sample(name, directory, sample.Files, originals, new InferenceSession(Path.Combine(sample.Folder, "1", "model.onnx")));
    }

    // The same config as JSON: plain scalars that read as numbers are numbers, true and false are booleans.
    private static string YamlToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return Node(stream.Documents[0].RootNode)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

        static JsonNode? Node(YamlNode node) => node switch
        {
            YamlMappingNode m => new JsonObject(m.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Node(c.Value)))),
            YamlSequenceNode s => new JsonArray([.. s.Children.Select(Node)]),
            YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: var v } when long.TryParse(v, out var n) => JsonValue.Create(n),
            YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } b => JsonValue.Create(b.Value == "true"),
            YamlScalarNode scalar => JsonValue.Create(scalar.Value),
            _ => throw new InvalidOperationException(node.GetType().Name),
        };
    }

    private sealed record Sample(string Name, string Directory, string[] Files, Dictionary<string, string> Originals, InferenceSession Session) : IDisposable
    {
        public void Dispose() => Session.Dispose();
    }
}
