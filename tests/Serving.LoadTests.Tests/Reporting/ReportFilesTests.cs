using Serving.LoadTests.Reporting;
using Serving.LoadTests.Tests.TestSupport;

namespace Serving.LoadTests.Tests.Reporting;

/// <summary>A report file that cannot be written at the end is one error line, not an exception after the run.</summary>
public sealed class ReportFilesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("report-files-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task TryWriteAsync_FolderGoneSinceTheCheck_FalseWithOneErrorLine()
    {
        var path = Path.Combine(_dir.FullName, "gone", "r.json");
        var error = new StringWriter();

        var written = await ReportFiles.TryWriteAsync("--json", path, p => ReportFiles.WriteJsonAsync(p, Reports.Load(100), ReportJsonContext.Default.LoadReport, CancellationToken.None), error);

        Assert.False(written);
        var line = Assert.Single(error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: --json: cannot write {path}: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryWriteAsync_FolderThere_WritesTheFile()
    {
        var path = Path.Combine(_dir.FullName, "r.md");
        var error = new StringWriter();

        var written = await ReportFiles.TryWriteAsync("--out", path, p => File.WriteAllTextAsync(p, "# report"), error);

        Assert.True(written);
        Assert.Equal("# report", await File.ReadAllTextAsync(path));
        Assert.Empty(error.ToString());
    }

    [Fact]
    public async Task TryWriteAsync_NoPath_WritesNothing()
    {
        var written = await ReportFiles.TryWriteAsync("--json", null, _ => throw new InvalidOperationException("not to be called"), TextWriter.Null);

        Assert.True(written);
    }
}
