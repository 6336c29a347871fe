using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.Tests.Reporting;

/// <summary>Output paths are checked before any load, so a run is not spent on a file it cannot write.</summary>
public sealed class OutputPathsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("output-paths-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void CheckFile_FolderMissing_ThrowsNamingTheOptionAndTheFolder()
    {
        var folder = Path.Combine(_dir.FullName, "nodir");

        var e = Assert.Throws<LoadTestException>(() => OutputPaths.CheckFile("--json", Path.Combine(folder, "r.json")));

        Assert.StartsWith("--json ", e.Message, StringComparison.Ordinal);
        Assert.Contains($"the folder {folder} does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFile_PathIsAFolder_ThrowsSayingSo()
    {
        var e = Assert.Throws<LoadTestException>(() => OutputPaths.CheckFile("--plot", _dir.FullName));

        Assert.Contains("is a folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFile_FolderIsAFile_ThrowsSayingSo()
    {
        var file = Path.Combine(_dir.FullName, "afile");
        File.WriteAllText(file, "x");

        var e = Assert.Throws<LoadTestException>(() => OutputPaths.CheckFile("--out", Path.Combine(file, "r.md")));

        Assert.Contains($"{file} is a file, not a folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFile_NewFileInAFolder_PassesAndLeavesNothing()
    {
        var path = Path.Combine(_dir.FullName, "r.json");

        OutputPaths.CheckFile("--json", path);

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void CheckFile_ExistingFile_PassesAndKeepsIt()
    {
        var path = Path.Combine(_dir.FullName, "r.json");
        File.WriteAllText(path, "kept");

        OutputPaths.CheckFile("--json", path);

        Assert.Equal("kept", File.ReadAllText(path));
    }

    [Fact]
    public void CheckFile_NotGiven_Passes() => OutputPaths.CheckFile("--json", null);

    [Fact]
    public void CheckFolder_PathIsAFile_ThrowsSayingSo()
    {
        var file = Path.Combine(_dir.FullName, "afile");
        File.WriteAllText(file, "x");

        var e = Assert.Throws<LoadTestException>(() => OutputPaths.CheckFolder("--plot-dir", file));

        Assert.StartsWith("--plot-dir ", e.Message, StringComparison.Ordinal);
        Assert.Contains("is a file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFolder_UnderAFile_ThrowsSayingSo()
    {
        var file = Path.Combine(_dir.FullName, "afile");
        File.WriteAllText(file, "x");

        var e = Assert.Throws<LoadTestException>(() => OutputPaths.CheckFolder("--plot-dir", Path.Combine(file, "plots", "more")));

        Assert.Contains($"{file} is a file, not a folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFolder_MissingUnderAFolder_PassesAndCreatesNothing()
    {
        var path = Path.Combine(_dir.FullName, "plots", "more");

        OutputPaths.CheckFolder("--plot-dir", path);

        Assert.Empty(_dir.GetFileSystemInfos());
    }
}
