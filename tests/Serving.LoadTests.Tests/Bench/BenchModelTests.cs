using Serving.LoadTests.Bench;

namespace Serving.LoadTests.Tests.Bench;

public sealed class BenchModelTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"bench-model-tests-{Guid.NewGuid():N}");

    public BenchModelTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "models"));
        File.WriteAllText(Path.Combine(_root, "Serving.sln"), string.Empty);
    }

    [Fact]
    public void Locate_Name_FindsTheHighestNumericVersionWithAModel()
    {
        var dir = ModelDir("models", "tabular", "1", "2", "10");
        Directory.CreateDirectory(Path.Combine(dir, "11")); // no model.onnx
        Directory.CreateDirectory(Path.Combine(dir, "latest"));

        var model = BenchModel.Locate("tabular", _root);

        Assert.Equal("tabular", model.Name);
        Assert.Equal(10, model.Version);
        Assert.Equal(Path.Combine(dir, "10", "model.onnx"), model.OnnxPath);
    }

    [Fact]
    public void Locate_Name_FallsBackToLoadtestsModels()
    {
        ModelDir(Path.Combine("loadtests", "models"), "bench_mlp", "1");

        Assert.Equal(1, BenchModel.Locate("bench_mlp", _root).Version);
    }

    [Fact]
    public void Locate_Unknown_ThrowsNamingWhereItLooked()
    {
        var e = Assert.Throws<LoadTestException>(() => BenchModel.Locate("nope", _root));

        Assert.Contains(Path.Combine(_root, "loadtests", "models", "nope"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locate_NoVersion_Throws()
    {
        ModelDir("models", "empty");

        Assert.Throws<LoadTestException>(() => BenchModel.Locate("empty", _root));
    }

    [Fact]
    public void FindRepositoryRoot_FromASubfolder_FindsTheSolutionFolder()
    {
        var sub = Directory.CreateDirectory(Path.Combine(_root, "a", "b")).FullName;

        Assert.Equal(_root, BenchModel.FindRepositoryRoot(sub));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string ModelDir(string parent, string name, params string[] versions)
    {
        var dir = Path.Combine(_root, parent, name);
        Directory.CreateDirectory(dir);
        foreach (var v in versions)
        {
            Directory.CreateDirectory(Path.Combine(dir, v));
            File.WriteAllText(Path.Combine(dir, v, "model.onnx"), string.Empty);
        }

        return dir;
    }
}
