using Serving.Worker.Features;

namespace Serving.Worker.Tests.Features;

public sealed class FeatureKeysTests
{
    [Theory]
    [InlineData(5, 2, new[] { 2, 2, 1 })]
    [InlineData(4, 2, new[] { 2, 2 })]
    [InlineData(3, 100, new[] { 3 })]
    [InlineData(0, 2, new int[0])]
    public void Chunks_InOrder_AtMostMaxPerCall(int count, int max, int[] sizes)
    {
        var keys = Enumerable.Range(0, count).Select(i => $"k:{i}").ToArray();

        var chunks = FeatureKeys.Chunks(keys, max);

        Assert.Equal(sizes, chunks.Select(c => c.Length));
        Assert.Equal(keys, chunks.SelectMany(c => c).Select(k => (string)k!));
    }

    [Fact]
    public void Format_ReplacesTheIdPlaceholder()
    {
        Assert.Equal("features:customer:42", FeatureKeys.Format("features:customer:{id}", "42"));
    }
}
