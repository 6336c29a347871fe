using System.Globalization;
using System.Text.RegularExpressions;

namespace Serving.LoadTests.Baselines.Naive;

/// <summary>Finds <c>&lt;dir&gt;/&lt;version&gt;/model.onnx</c>: the asked-for version, or the highest numeric one.</summary>
internal static partial class ModelDirectory
{
    /// <summary>The model name, version and file.</summary>
    public static (string Name, string Version, string Path) Resolve(string directory, string? name, string? version)
    {
        if (!Directory.Exists(directory))
        {
            throw LoadTestException.Usage($"--model-dir '{directory}' does not exist");
        }

        name ??= System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(directory)));
        if (!SafeName().IsMatch(name) || (version is not null && !SafeName().IsMatch(version)))
        {
            throw LoadTestException.Usage($"model name '{name}' and version '{version}' must match {SafeName()}");
        }

        version ??= Directory.EnumerateDirectories(directory)
            .Select(System.IO.Path.GetFileName)
            .Where(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _) && File.Exists(System.IO.Path.Combine(directory, v!, "model.onnx")))
            .OrderByDescending(v => long.Parse(v!, CultureInfo.InvariantCulture))
            .FirstOrDefault()
            ?? throw LoadTestException.Usage($"--model-dir '{directory}' has no <version>/model.onnx");
        var path = System.IO.Path.Combine(directory, version, "model.onnx");
        return File.Exists(path) ? (name, version, path) : throw LoadTestException.Usage($"'{path}' does not exist");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex SafeName();
}
