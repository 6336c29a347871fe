namespace Serving.Worker.Tests.TestSupport;

/// <summary>Paths inside the repository, found by walking up from the test assembly to Serving.sln.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serving.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Serving.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => RootPath.Value;

    /// <summary>The sample model repository (tabular, digits).</summary>
    public static string Models => Path.Combine(Root, "models");

    /// <summary>The test-only models (identity*, fixed, mismatch, corrupt).</summary>
    public static string TestModels => Path.Combine(Root, "tests", "models");

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
