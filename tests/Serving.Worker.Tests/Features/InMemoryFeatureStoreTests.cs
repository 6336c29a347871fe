using Serving.Worker.Features;
using Serving.Worker.Models;

namespace Serving.Worker.Tests.Features;

public sealed class InMemoryFeatureStoreTests : IDisposable
{
    // Not features.csv: model.yaml's features.csv may name any file next to it, and a refusal names that one.
    private readonly string _folder = Directory.CreateTempSubdirectory("serving-features-").FullName;

    private string Csv => Path.Combine(_folder, "entities.csv");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Load_RowsThatDontParseOrRepeatAnId_LeftOutAndReportedWithTheirLines()
    {
        await File.WriteAllTextAsync(Csv, "id,a,b\n1,1.5,2.5\n2,abc,3\n3,4,5\n4,1\n1,9,9\n");
        var refused = new List<FeatureCsv.BadRow>();

        var store = InMemoryFeatureStore.Load(Csv, "k:{id}", ["a", "b"], refused.Add);

        Assert.Equal(2, store.Count);
        Assert.Equal([2 + 1, 4 + 1, 5 + 1], refused.Select(r => r.Line));
        Assert.Equal("id '1' is also on line 2 (each entity once)", refused[2].Reason);
        var fetched = await store.FetchAsync(["k:1", "k:2", "k:3"], ["a", "b"], CancellationToken.None);
        Assert.Equal([1.5, 2.5], Assert.IsType<double[]>(fetched[0]));
        Assert.Null(fetched[1]);
        Assert.Equal([4.0, 5.0], Assert.IsType<double[]>(fetched[2]));
    }

    [Theory]
    [InlineData("garbage,,,\n1,2\n", "entities.csv: the header must name an id column")]
    [InlineData("\"id,a\n1,2\n", "entities.csv: the header is not valid CSV")]
    [InlineData("a,b\n1,2\n", "entities.csv: the CSV header lacks the model's fields: a;")]
    public async Task Load_HeaderNotIdAndTheModelsFields_ModelConfigErrorNamingTheFile(string text, string message)
    {
        await File.WriteAllTextAsync(Csv, text);

        var error = Assert.Throws<ModelConfigException>(() => InMemoryFeatureStore.Load(Csv, "k:{id}", ["a", "b"]));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A row whose id holds bytes that are not UTF-8 is refused by its line, saying so: before, each such byte was read
    /// as U+FFFD, so ids 10\xFF1 and 10\xFE1 were one entity "10\uFFFD1", loaded under a key no request sends, and the
    /// second was refused as a repeat of the first (seen by FeatureCsvFuzzTests).
    /// </summary>
    [Fact]
    public async Task Load_RowsNotUtf8_RefusedByTheirLines_NothingLoadedFromThem()
    {
        await File.WriteAllBytesAsync(Csv, [.. "id,a,b\n1,1.5,2.5\n10"u8, 0xFF, .. "1,3,4\n10"u8, 0xFE, .. "1,5,6\n2,7,8\n"u8]);
        var refused = new List<FeatureCsv.BadRow>();

        var store = InMemoryFeatureStore.Load(Csv, "k:{id}", ["a", "b"], refused.Add);

        Assert.Equal(2, store.Count);
        Assert.Equal([3, 4], refused.Select(r => r.Line));
        Assert.All(refused, r => Assert.StartsWith("not UTF-8 text", r.Reason, StringComparison.Ordinal));
        Assert.Null((await store.FetchAsync(["k:10\uFFFD1"], ["a", "b"], CancellationToken.None))[0]);
    }

    [Fact]
    public async Task Load_HeaderNotUtf8_ModelConfigErrorNamingTheFile()
    {
        await File.WriteAllBytesAsync(Csv, [.. "id,a,b,r"u8, 0xE9, .. "gion\n1,1.5,2.5,1\n"u8]);

        var error = Assert.Throws<ModelConfigException>(() => InMemoryFeatureStore.Load(Csv, "k:{id}", ["a", "b"]));

        Assert.StartsWith("entities.csv: the header is not UTF-8 text", error.Message, StringComparison.Ordinal);
    }
}
