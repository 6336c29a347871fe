namespace Serving.LoadTests.Reporting;

/// <summary>Checks, before any load, that the files a command is to write at the end can be written.</summary>
internal static class OutputPaths
{
    /// <summary>Throws a <see cref="LoadTestException"/> naming <paramref name="option"/> when <paramref name="path"/> cannot be written as a file.</summary>
    public static void CheckFile(string option, string? path)
    {
        if (path is null)
        {
            return;
        }

        if (Directory.Exists(path))
        {
            throw LoadTestException.Usage($"{option} {path} is a folder: give a file path (e.g. {Path.Combine(path, FileNameFor(option))})");
        }

        CheckFolderIsThere(option, path, Path.GetDirectoryName(Path.GetFullPath(path))!);
        Probe(option, path, () => File.Exists(path)
            ? new FileStream(path, FileMode.Open, FileAccess.Write)
            : new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose));
    }

    /// <summary>Throws a <see cref="LoadTestException"/> naming <paramref name="option"/> when <paramref name="path"/> cannot be (or be made) a folder to write in.</summary>
    public static void CheckFolder(string option, string? path)
    {
        if (path is null)
        {
            return;
        }

        if (File.Exists(path))
        {
            throw LoadTestException.Usage($"{option} {path} is a file: give a folder (it is made if missing)");
        }

        // The folder is made at the end if missing: its nearest existing parent must be a folder this user can write in.
        var existing = NearestExisting(Path.GetFullPath(path));
        if (File.Exists(existing))
        {
            throw LoadTestException.Usage($"{option} {path}: {existing} is a file, not a folder: give another path");
        }

        Probe(option, path, () => new FileStream(Path.Combine(existing, $".serving-loadtest-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose));
    }

    private static void CheckFolderIsThere(string option, string path, string folder)
    {
        if (Directory.Exists(folder))
        {
            return;
        }

        var existing = NearestExisting(folder);
        throw LoadTestException.Usage(File.Exists(existing)
            ? $"{option} {path}: {existing} is a file, not a folder: give another path"
            : $"{option} {path}: the folder {folder} does not exist: create it (mkdir -p {folder}) or give another path");
    }

    private static string NearestExisting(string path)
    {
        while (!Directory.Exists(path) && !File.Exists(path) && Path.GetDirectoryName(path) is { } parent)
        {
            path = parent;
        }

        return path;
    }

    // Opening the file (or a scratch one in the folder) is the one check that sees permissions and read-only file systems.
    private static void Probe(string option, string path, Func<FileStream> open)
    {
        try
        {
            open().Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LoadTestException.Usage($"{option} {path} cannot be written ({e.Message}): give a path this user can write to", e);
        }
    }

    private static string FileNameFor(string option) => option switch
    {
        "--json" => "report.json",
        "--plot" => "latency.png",
        _ => "report.md",
    };
}
