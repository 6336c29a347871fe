using Serving.Worker.Features;
using Serving.Worker.Models;

namespace Serving.Worker.Tests.Features;

public sealed class InMemoryFeatureStoreTests : IDisposable
{
    private readonly string _csv = Path.GetTempFileName();

    public void Dispose() => File.Delete(_csv);

    [Fact]
    public async Task Load_RowsThatDontParse_LeftOutAndReportedWithTheirLines()
    {
        await File.WriteAllTextAsync(_csv, "id,a,b\n1,1.5,2.5\n2,abc,3\n3,4,5\n4,1\n");
        var refused = new List<FeatureCsv.BadRow>();

        var store = InMemoryFeatureStore.Load(_csv, "k:{id}", refused.Add);

        Assert.Equal(2, store.Count);
        Assert.Equal([2 + 1, 4 + 1], refused.Select(r => r.Line));
        var fetched = await store.FetchAsync(["k:1", "k:2", "k:3"], ["a", "b"], CancellationToken.None);
        Assert.Equal([1.5, 2.5], Assert.IsType<double[]>(fetched[0]));
        Assert.Null(fetched[1]);
        Assert.Equal([4.0, 5.0], Assert.IsType<double[]>(fetched[2]));
    }

    [Theory]
    [InlineData("garbage,,,\n1,2\n", "features.csv: the header must name an id column")]
    [InlineData("\"id,a\n1,2\n", "features.csv: the header is not valid CSV")]
    public async Task Load_HeaderNotIdAndFields_ModelConfigErrorNamingTheFile(string text, string message)
    {
        await File.WriteAllTextAsync(_csv, text);

        var error = Assert.Throws<ModelConfigException>(() => InMemoryFeatureStore.Load(_csv, "k:{id}"));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }
}
