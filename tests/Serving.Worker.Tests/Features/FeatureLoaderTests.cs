using Serving.Worker.Features;
using Serving.Worker.Models;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.Features;

public sealed class FeatureLoaderTests
{
    /// <summary>
    /// The progress counts rows as its total does (<c>serving features load</c>'s: lines that are not blank, the header
    /// left out): before, every line read counted, blank ones too, and a file of 10 rows with blank lines between them
    /// said 'loaded 28 of 10 rows (100%)' (seen running the real command on a mutated CSV).
    /// </summary>
    [Fact]
    public async Task LoadAsync_BlankLines_NotCountedInTheProgress()
    {
        var database = RecordingDatabase.New();
        var reported = new List<long>();
        using var csv = new StringReader("id,a\n1,1.5\n\n\n2,2.5\n \n\n3,3.5\n\n");

        var result = await FeatureLoader.LoadAsync(
            csv, new FeaturesConfig { Fields = ["a"], KeyPattern = "k:{id}" }, database.AsDatabase(), 1, new Recorder(reported), CancellationToken.None);

        Assert.Equal(3, result.Written);
        Assert.Equal(6, result.Refused.Single().Line); // the line of spaces: refused as such, not skipped as an empty line is
        Assert.Equal(3, reported.Max());
        Assert.Equal(reported.Order(), reported);
    }

    private sealed class Recorder(List<long> reported) : IProgress<long>
    {
        public void Report(long value) => reported.Add(value);
    }
}
