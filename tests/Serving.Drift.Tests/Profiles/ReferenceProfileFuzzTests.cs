using System.Text.Json.Nodes;
using Serving.Drift.Profiles;
using Serving.Drift.Tests.TestSupport;
using Serving.Testing;

namespace Serving.Drift.Tests.Profiles;

/// <summary>
/// Seeded mutation sweep of reference.json: the shipped samples' profiles (whole, and with their samples cut to a few
/// values, so that more mutations land on the structure) with bytes flipped or cut, lines deleted or repeated, values
/// swapped for huge, NaN, negative, nested, long or mistyped ones, read from a file by the real loader. Each loads, or is
/// refused with a <see cref="ReferenceProfileException"/> that names the file and the field; never another exception or a hang.
/// </summary>
public sealed class ReferenceProfileFuzzTests : IDisposable
{
    // Mutated profiles per run: 600 in CI; set REFERENCE_PROFILE_FUZZ_ITERATIONS for a longer search (20,000 took under a minute and a half)
    private static readonly int Iterations = OperatorFileMutations.Iterations("REFERENCE_PROFILE_FUZZ_ITERATIONS", 600);

    private static readonly string[] Samples = ["tabular/1", "tabular/2", "digits/1"];

    private static readonly string[] Internals = ["System.", "Serving.Drift", "Exception", "JsonElement", "Nullable`"];

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_MutatedProfiles_LoadOrARefusalThatNamesFileAndField()
    {
        var originals = Samples.SelectMany(s => { var text = File.ReadAllText(PathOf(s)); return new[] { text, Trimmed(text) }; }).ToArray();
        var path = Path.Combine(_temp.Path, "reference.json");
        var random = new Random(73);
        var (loaded, refused) = (0, 0);
        var current = "";
        var failures = new OperatorFileMutations.Failures();
        OperatorFileMutations.WithinBound(
            () =>
            {
                for (var i = 0; i < Iterations; i++)
                {
                    var original = random.Next(originals.Length);
                    var mutated = OperatorFileMutations.Mutate(originals[original], random);
                    current = $"case {i}: profile {original} = {Convert.ToBase64String(mutated)}";
                    File.WriteAllBytes(path, mutated);
                    try
                    {
                        ReferenceProfileLoader.Load(path);
                        loaded++;
                    }
                    catch (ReferenceProfileException e)
                    {
                        refused++;
                        if (!e.Message.Contains(path, StringComparison.Ordinal) || e.Field.Length == 0 || e.Problem.Length == 0)
                        {
                            failures.Add("unnamed" + e.StackTrace?.Split('\n')[0], $"{current}: the refusal names no file or field: {e.Message}");
                        }
                        else if (Internals.FirstOrDefault(w => e.Problem.Contains(w, StringComparison.Ordinal)) is { } leaked)
                        {
                            failures.Add("holds " + leaked + e.StackTrace?.Split('\n')[0], $"{current}: the refusal holds '{leaked}': {e.Message}");
                        }
                    }
                    catch (Exception e)
                    {
                        failures.Add(e.GetType().Name + e.StackTrace?.Split('\n')[0], $"{current}: {e}");
                    }
                }
            },
            TimeSpan.FromMinutes(Math.Max(2, Iterations / 500)),
            () => current);

        Assert.False(failures.Any, failures.ToString());
        Assert.True(loaded > Iterations / 20, $"loaded {loaded}");
        Assert.True(refused > Iterations / 5, $"refused {refused}");
    }

    [Fact]
    public void Load_UnmutatedSamples_Load()
    {
        foreach (var sample in Samples)
        {
            var text = File.ReadAllText(PathOf(sample));
            Assert.Equal(sample.Split('/')[0], ReferenceProfileLoader.Parse(System.Text.Encoding.UTF8.GetBytes(text), sample).Model);
            Assert.Equal(sample.Split('/')[0], ReferenceProfileLoader.Parse(System.Text.Encoding.UTF8.GetBytes(Trimmed(text)), sample).Model);
        }
    }

    private static string PathOf(string sample) => Path.Combine(AppContext.BaseDirectory, "TestData", sample, "reference.json");

    // The profile with each numeric sample cut to its first three values, one key per line: most of it is structure.
    private static string Trimmed(string text)
    {
        var root = JsonNode.Parse(text)!;
        foreach (var feature in root["features"]!.AsArray().Append(root["prediction"]))
        {
            if (feature!["sample"] is JsonArray sample)
            {
                feature["sample"] = new JsonArray([.. sample.Take(3).Select(v => v!.DeepClone())]);
            }
        }

        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }
}
