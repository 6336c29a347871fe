using System.Globalization;

namespace Serving.LoadTests.Bench;

/// <summary>A model the bench serves: its source folder in the repository and the version it loads (the highest).</summary>
/// <param name="Name">The model's name (its folder's name).</param>
/// <param name="SourceDirectory">The folder with <c>model.yaml</c> and <c>&lt;version&gt;/model.onnx</c>.</param>
/// <param name="Version">The version the bench serves.</param>
internal sealed record BenchModel(string Name, string SourceDirectory, long Version)
{
    /// <summary>The ONNX file of <see cref="Version"/>.</summary>
    public string OnnxPath => Path.Combine(SourceDirectory, VersionText, "model.onnx");

    /// <summary>The batching settings the bench serves this model with: its own <c>model.yaml</c>'s, then <paramref name="overrides"/>.</summary>
    public BatchingConfig Batching(BatchingOverrides overrides)
    {
        var yaml = Path.Combine(SourceDirectory, "model.yaml");
        return BatchingConfig.Resolve(File.Exists(yaml) ? File.ReadAllText(yaml) : string.Empty, overrides);
    }

    /// <summary>The version as a folder name.</summary>
    public string VersionText => Version.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Finds <paramref name="nameOrPath"/>: a folder path, or a name looked up in <c>models/</c> then
    /// <c>loadtests/models/</c> under <paramref name="repositoryRoot"/>.
    /// </summary>
    public static BenchModel Locate(string nameOrPath, string repositoryRoot)
    {
        string[] candidates = nameOrPath.Contains('/', StringComparison.Ordinal)
            ? [Path.GetFullPath(nameOrPath)]
            : [Path.Combine(repositoryRoot, "models", nameOrPath), Path.Combine(repositoryRoot, "loadtests", "models", nameOrPath)];
        var directory = candidates.FirstOrDefault(Directory.Exists)
            ?? throw LoadTestException.Usage($"model '{nameOrPath}' not found (looked in {string.Join(", ", candidates)})");
        var version = Directory.EnumerateDirectories(directory)
            .Select(d => long.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && File.Exists(Path.Combine(d, "model.onnx")) ? v : -1)
            .DefaultIfEmpty(-1)
            .Max();
        return version < 0
            ? throw LoadTestException.Usage($"model folder '{directory}' has no <version>/model.onnx")
            : new BenchModel(Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)), directory, version);
    }

    /// <summary>The repository root: the nearest folder at or above <paramref name="start"/> holding <c>Serving.sln</c>.</summary>
    public static string FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serving.sln")))
            {
                return dir.FullName;
            }
        }

        throw LoadTestException.Usage($"no Serving.sln at or above '{start}': run the bench from the repository");
    }
}
