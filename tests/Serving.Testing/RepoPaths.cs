namespace Serving.Testing;

/// <summary>Paths inside the repository, found from the test assembly's location.</summary>
public static class RepoPaths
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

    /// <summary>The repository root.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The sample model repository.</summary>
    public static string Models => Path.Combine(Root, "models");

    /// <summary>The test-only models.</summary>
    public static string TestModels => Path.Combine(Root, "tests", "models");

    /// <summary>A fresh temporary model repository holding copies of the named models from <paramref name="source"/>.</summary>
    public static TempDirectory CopyModels(string source, params string[] models)
    {
        var temp = new TempDirectory();
        foreach (var model in models)
        {
            CopyDirectory(Path.Combine(source, model), Path.Combine(temp.Path, model));
        }

        return temp;
    }

    /// <summary>Copies a folder tree.</summary>
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
