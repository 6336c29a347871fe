using Serving.Hosting.Http;

namespace Serving.Worker.Tests.Hosting;

public sealed class ConnectionLimitTests
{
    [Theory]
    [InlineData(20_000L, 3, 250L, 5_000L)]       // 20,000 - a quarter kept, over 3 listeners
    [InlineData(1_024L, 3, 0L, 256L)]            // 1,024 - 256 kept
    [InlineData(1_024L, 1, 0L, 768L)]
    [InlineData(1_024L, 3, 250L, 89L)]           // 1,024 - (2 x 250 + 256) = 268, / 3
    [InlineData(512L, 3, 250L, 16L)]             // nothing left: at least 16
    [InlineData(1_048_576L, 4, 250L, 196_608L)]
    public void FromOpenFileLimit_KeepsAQuarterOrTwiceWhatIsOpenAnd256_SharedByTheListeners(long openFiles, int listeners, long openNow, long expected) =>
        Assert.Equal(expected, ConnectionLimit.FromOpenFileLimit(openFiles, listeners, openNow));

    [Theory]
    [InlineData(null)]
    [InlineData(0L)]
    [InlineData(long.MaxValue)] // "unlimited"
    public void FromOpenFileLimit_NoneOrUnlimited_NoLimit(long? openFiles) =>
        Assert.Null(ConnectionLimit.FromOpenFileLimit(openFiles, 3, 250));

    [Fact]
    public void Resolve_Configured_IsTakenAsIs() => Assert.Equal(7, ConnectionLimit.Resolve(7, 3));

    [Fact]
    public void OpenFileLimit_IsThisProcesssSoftLimit()
    {
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        Assert.Equal(soft == "unlimited" ? null : long.Parse(soft, System.Globalization.CultureInfo.InvariantCulture), ConnectionLimit.OpenFileLimit());
    }

    [Fact]
    public void OpenFiles_CountsThisProcesssDescriptors()
    {
        var before = ConnectionLimit.OpenFiles();
        var files = Enumerable.Range(0, 50).Select(_ => File.OpenRead(typeof(ConnectionLimitTests).Assembly.Location)).ToList();
        try
        {
            // Other threads open and close descriptors too: most of the 50 must show.
            Assert.InRange(ConnectionLimit.OpenFiles() - before, 40, 60);
        }
        finally
        {
            files.ForEach(f => f.Dispose());
        }
    }
}
