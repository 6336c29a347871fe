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
}
