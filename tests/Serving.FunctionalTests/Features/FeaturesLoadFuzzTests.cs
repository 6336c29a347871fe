using System.Text;
using System.Text.RegularExpressions;
using Serving.Testing;
using Serving.Worker.Features;
using Serving.Worker.Models;

namespace Serving.FunctionalTests.Features;

/// <summary>
/// A few seeded mutations of the tabular sample's features.csv (its header and first rows) through the real
/// <c>serving features load</c> into a real redis-server (FeatureCsvFuzzTests runs many more against the readers
/// themselves). Oracle: what Redis holds afterwards is what the in-memory store makes of the same file, key for key and
/// value for value, and the command says so: exit 0 (all written), 3 (the refused rows counted in the report) or, for
/// a header it refuses as the in-memory store does, 1 with the file and line named and nothing written; no .NET
/// exception text, no hang.
/// </summary>
public sealed class FeaturesLoadFuzzTests : IAsyncLifetime
{
    // Files per run: 2 in CI (a command run each, 1-3 s); FEATURES_LOAD_FUZZ_ITERATIONS for a longer search.
    private static readonly int Iterations = OperatorFileMutations.Iterations("FEATURES_LOAD_FUZZ_ITERATIONS", 2);

    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Load_MutatedCsv_RedisHoldsWhatTheInMemoryStoreReads_TheCommandSaysSo()
    {
        var config = ModelConfigLoader.Load("tabular", Path.Combine(RepoPaths.Models, "tabular", "model.yaml")).Features!;
        var fields = config.Fields!.ToArray();
        var packed = new PackedFeatures(fields);
        var original = string.Join("\n", File.ReadLines(FeatureTestData.CsvPath).Take(9)) + "\n";
        using var folder = new TempDirectory();
        var path = Path.Combine(folder.Path, "features.csv");
        var random = new Random(20261207);
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = OperatorFileMutations.Mutate(original, random);
            var current = $"seed 20261207, case {i}: {Convert.ToBase64String(bytes)}";
            await File.WriteAllBytesAsync(path, bytes);
            await _redis.Database.ExecuteAsync("FLUSHDB");
            var refused = new List<FeatureCsv.BadRow>();
            InMemoryFeatureStore? memory = null;
            try
            {
                memory = InMemoryFeatureStore.Load(path, config.KeyPattern!, fields, refused.Add);
            }
            catch (ModelConfigException)
            {
                // The loader must refuse it too: checked below.
            }

            var (code, stdout, stderr) = await ServingRun.RunApartAsync(
                ["features", "load", "--model", "tabular", "--file", path, "--models", RepoPaths.Models, "--redis", $"127.0.0.1:{_redis.Port}"]);
            var said = Regex.Replace(stdout + stderr, @"\s+", " ");
            Assert.False(said.Contains("Exception", StringComparison.Ordinal) || said.Contains(" at Serving.", StringComparison.Ordinal), $"{said}\n{current}");
            var keys = _redis.Database.Multiplexer.GetServer("127.0.0.1", _redis.Port).Keys().Select(k => k.ToString()).ToArray();
            if (memory is null)
            {
                Assert.True(code == 1 && said.Contains("serving features: features.csv line 1 (the header): ", StringComparison.Ordinal) && keys.Length == 0, $"exit {code}, {keys.Length} keys: {said}\n{current}");
                continue;
            }

            if (code == 1 && said.Contains("which the packed layout uses as separators", StringComparison.Ordinal))
            {
                continue; // a column named with '=': the in-memory store has no packed layout to refuse it for
            }

            Assert.True(code == (refused.Count == 0 ? 0 : 3), $"exit {code}, {refused.Count} rows refused by the in-memory store: {said}\n{current}");
            Assert.True(said.Contains($"wrote {memory.Count} entities, refused {refused.Count} rows", StringComparison.Ordinal), $"{said}\n{current}");
            Assert.True(keys.Length == memory.Count, $"Redis holds {keys.Length} keys, the in-memory store {memory.Count} entities\n{current}");
            var inMemory = await memory.FetchAsync(keys, fields, CancellationToken.None);
            for (var k = 0; k < keys.Length; k++)
            {
                var stored = packed.Parse(Encoding.UTF8.GetBytes((string)(await _redis.Database.StringGetAsync(keys[k]))!));
                Assert.True(inMemory[k] is not null && stored is not null && inMemory[k]!.SequenceEqual(stored), $"'{keys[k]}': Redis [{string.Join(",", stored ?? [])}], in memory [{string.Join(",", inMemory[k] ?? [])}]\n{current}");
            }
        }
    }
}
