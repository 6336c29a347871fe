using System.Text;
using System.Text.Json.Nodes;
using Serving.Drift.Profiles;
using Serving.Drift.Tests.TestSupport;

namespace Serving.Drift.Tests.Profiles;

public sealed class ReferenceProfileLoaderTests
{
    private const string Valid = """
        {"model": "tabular", "version": "1", "rows": 4,
         "features": [{"name": "f0", "kind": "numeric", "bin_edges": [0, 1, 2], "proportions": [0.5, 0.5],
                       "mean": 1, "std": 0.5, "sample": [1.5, 0.5, 1.8, 0.2]}],
         "prediction": {"name": "label", "kind": "categorical", "categories": {"a": 0.25, "b": 0.75}}}
        """;

    [Fact]
    public void Load_TabularV1_ReadsThirtyNumericFeaturesAndNumericPrediction()
    {
        ReferenceProfile profile = ReferenceProfileLoader.Load(TestProfiles.TabularPath);

        Assert.Equal(("tabular", "1", 426), (profile.Model, profile.Version, profile.Rows));
        Assert.Equal(30, profile.Features.Count);
        Assert.Equal(30, profile.NumericFeatureCount);
        var first = Assert.IsType<NumericFeatureProfile>(profile.Features[0]);
        Assert.Equal("mean_radius", first.Name);
        Assert.Equal(11, first.BinEdges.Length);
        Assert.Equal(10, first.Proportions.Length);
        Assert.Equal(6.980999946594238, first.BinEdges[0]);
        Assert.Equal(14.1591713574011, first.Mean, 1e-12);
        Assert.Equal(426, first.SortedSample.Length);
        Assert.True(IsSorted(first.SortedSample));
        var prediction = Assert.IsType<NumericFeatureProfile>(profile.Prediction);
        Assert.Equal("probabilities[1]", prediction.Name);
    }

    [Fact]
    public void Load_DigitsV1_HandlesConstantFeaturesAndCategoricalPrediction()
    {
        ReferenceProfile profile = ReferenceProfileLoader.Load(TestProfiles.DigitsPath);

        Assert.Equal(("digits", "1", 1347), (profile.Model, profile.Version, profile.Rows));
        Assert.Equal(64, profile.Features.Count);
        var constant = Assert.IsType<NumericFeatureProfile>(profile.Features[0]);
        Assert.Equal("pixel_0", constant.Name);
        Assert.Equal([0.0, 0.0], constant.BinEdges.ToArray());
        Assert.Equal([1.0], constant.Proportions.ToArray());
        var prediction = Assert.IsType<CategoricalFeatureProfile>(profile.Prediction);
        Assert.Equal("class", prediction.Name);
        Assert.Equal(10, prediction.Categories.Count);
        Assert.Equal(3, prediction.CodeOf("3"));
        Assert.Equal(-1, prediction.CodeOf("ten"));
        Assert.Equal(1.0, prediction.Shares.ToArray().Sum(), 1e-9);
    }

    [Fact]
    public void Parse_ValidMinimalProfile_SortsSample()
    {
        ReferenceProfile profile = Parse(Valid);

        var feature = Assert.IsType<NumericFeatureProfile>(profile.Features[0]);
        Assert.Equal([0.2, 0.5, 1.5, 1.8], feature.SortedSample.ToArray());
    }

    [Theory]
    [InlineData("descending edges", "features[0].bin_edges", "strictly ascending")]
    [InlineData("duplicate inner edge", "features[0].bin_edges", "strictly ascending")]
    [InlineData("one edge", "features[0].bin_edges", "at least 2")]
    [InlineData("edge not a number", "features[0].bin_edges[1]", "finite number")]
    [InlineData("proportions too short", "features[0].proportions", "one share per bin")]
    [InlineData("proportions sum", "features[0].proportions", "add up to 1")]
    [InlineData("negative proportion", "features[0].proportions[0]", "[0, 1]")]
    [InlineData("empty sample", "features[0].sample", "at least 1")]
    [InlineData("missing sample", "features[0].sample", "required")]
    [InlineData("negative std", "features[0].std", "negative")]
    [InlineData("unknown kind", "features[0].kind", "\"numeric\" or \"categorical\"")]
    [InlineData("duplicate name", "features[1].name", "repeats")]
    [InlineData("no features", "features", "non-empty")]
    [InlineData("missing prediction", "prediction", "required")]
    [InlineData("category shares", "prediction.categories", "add up to 1")]
    [InlineData("no categories", "prediction.categories", "at least one")]
    [InlineData("zero rows", "rows", "positive integer")]
    [InlineData("missing model", "model", "required")]
    public void Parse_InvalidField_ThrowsNamingModelVersionAndField(string mutation, string field, string problem)
    {
        JsonObject json = JsonNode.Parse(Valid)!.AsObject();
        Mutate(json, mutation);

        var error = Assert.Throws<ReferenceProfileException>(() => Parse(json.ToJsonString()));

        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Contains($"{field}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("test.json", error.Message, StringComparison.Ordinal);
        if (mutation != "missing model")
        {
            Assert.Contains("'tabular/1'", error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// A string or key that is not text passes JsonDocument.Parse, but reading it threw InvalidOperationException
    /// ("Cannot read incomplete UTF-16 JSON text as string with missing low surrogate", "Cannot transcode invalid UTF-8
    /// JSON text to UTF-16 string"), which the monitor's profile watch does not take for a bad profile: refused, naming where.
    /// </summary>
    [Theory]
    [InlineData("\"f0\"", "\"\\ud800\"", "features[0].name")]
    [InlineData("\"label\"", "\"a\\udc00\"", "prediction.name")]
    [InlineData("\"b\":", "\"\\ud800\":", "prediction.categories")]
    public void Parse_StringThatIsNotText_ThrowsNamingField(string from, string to, string field)
    {
        AssertNotText(Encoding.UTF8.GetBytes(Valid.Replace(from, to, StringComparison.Ordinal)), field);
    }

    [Fact]
    public void Parse_StringOfBytesThatAreNotUtf8_ThrowsNamingField()
    {
        // ED A0 80: a surrogate encoded as UTF-8, which UTF-8 forbids, in place of the feature's name.
        byte[] utf8 = Encoding.UTF8.GetBytes(Valid.Replace("\"f0\"", "\"@@@\"", StringComparison.Ordinal));
        int at = Array.IndexOf(utf8, (byte)'@');
        (utf8[at], utf8[at + 1], utf8[at + 2]) = (0xED, 0xA0, 0x80);

        AssertNotText(utf8, "features[0].name");
    }

    /// <summary>A profile saved with a byte order mark (as editors on Windows save UTF-8) was refused as "not valid JSON (line 1, byte 1)".</summary>
    [Fact]
    public void Load_FileWithByteOrderMark_Loads()
    {
        using var temp = new TempFolder();
        string path = Path.Combine(temp.Path, "reference.json");
        File.WriteAllText(path, Valid, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        ReferenceProfile profile = ReferenceProfileLoader.Load(path);

        Assert.Equal(("tabular", "1"), (profile.Model, profile.Version));
    }

    [Fact]
    public void Parse_MalformedJson_ThrowsWithLine()
    {
        var error = Assert.Throws<ReferenceProfileException>(() => Parse("{\"model\": \"tabular\",\n \"version\": }"));

        Assert.Equal("$", error.Field);
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Before the model and version are read, the file names the profile: no "'?/?'" stands in for them.</summary>
    [Fact]
    public void Parse_NotJson_NamedByTheFileAlone()
    {
        var error = Assert.Throws<ReferenceProfileException>(() => Parse("not json"));

        Assert.Equal((null, null), (error.Model, error.Version));
        Assert.StartsWith("Reference profile test.json: $: is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ThrowsReferenceProfileException()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}", "reference.json");

        var error = Assert.Throws<ReferenceProfileException>(() => ReferenceProfileLoader.Load(path));

        Assert.Equal(path, error.SourceName);
        Assert.Contains("cannot be read", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A named pipe in place of reference.json is read as the empty file it reports itself to be, unopened: the open
    /// waited for a writer, and with it the monitor's profile watch (no version was watched, none stopped being).
    /// </summary>
    [Fact]
    public async Task Load_APipe_ReadAsEmpty_RefusedSayingWhere()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"profile-pipe-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "reference.json");
            using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]))
            {
                await mkfifo.WaitForExitAsync();
                Assert.Equal(0, mkfifo.ExitCode);
            }

            // On a thread of its own, so a read that blocks fails the test at 30 s instead of hanging it.
            var error = await Task.Run(() => Assert.Throws<ReferenceProfileException>(() => ReferenceProfileLoader.Load(path))).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(path, error.SourceName);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void AssertNotText(byte[] utf8, string field)
    {
        var error = Assert.Throws<ReferenceProfileException>(() => ReferenceProfileLoader.Parse(utf8, "test.json"));

        Assert.Equal(field, error.Field);
        Assert.Contains("is not text", error.Message, StringComparison.Ordinal);
        Assert.Contains("test.json", error.Message, StringComparison.Ordinal);
    }

    private static ReferenceProfile Parse(string json) => ReferenceProfileLoader.Parse(Encoding.UTF8.GetBytes(json), "test.json");

    private static JsonObject Feature(JsonObject json) => json["features"]![0]!.AsObject();

    private static void Mutate(JsonObject json, string mutation)
    {
        JsonObject feature = Feature(json);
        switch (mutation)
        {
            case "descending edges": feature["bin_edges"] = new JsonArray(0, 2, 1); break;
            case "duplicate inner edge": feature["bin_edges"] = new JsonArray(0, 1, 1); break;
            case "one edge": feature["bin_edges"] = new JsonArray(0); break;
            case "edge not a number": feature["bin_edges"] = new JsonArray(0, "1", 2); break;
            case "proportions too short": feature["proportions"] = new JsonArray(1.0); break;
            case "proportions sum": feature["proportions"] = new JsonArray(0.5, 0.4); break;
            case "negative proportion": feature["proportions"] = new JsonArray(-0.5, 1.5); break;
            case "empty sample": feature["sample"] = new JsonArray(); break;
            case "missing sample": feature.Remove("sample"); break;
            case "negative std": feature["std"] = -1; break;
            case "unknown kind": feature["kind"] = "ordinal"; break;
            case "duplicate name": json["features"]!.AsArray().Add(feature.DeepClone()); break;
            case "no features": json["features"] = new JsonArray(); break;
            case "missing prediction": json.Remove("prediction"); break;
            case "category shares": json["prediction"]!["categories"]!["b"] = 0.5; break;
            case "no categories": json["prediction"]!["categories"] = new JsonObject(); break;
            case "zero rows": json["rows"] = 0; break;
            case "missing model": json.Remove("model"); break;
            default: throw new ArgumentOutOfRangeException(nameof(mutation), mutation, null);
        }
    }

    private static bool IsSorted(ReadOnlySpan<double> values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] < values[i - 1])
            {
                return false;
            }
        }

        return true;
    }
}
