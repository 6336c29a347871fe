namespace Serving.Commands;

/// <summary>Finds the sample model repository when none is configured: ./models, else a models/ above the executable.</summary>
internal static class ModelRepositoryLocator
{
    /// <summary>
    /// ./models, else a models/ beside Serving.sln above the executable; null when neither is there. Commands pass it
    /// as a fallback, so a repository set anywhere (--models, appsettings.json, the environment, the command line) wins.
    /// </summary>
    /// <summary>A fallback source setting <paramref name="key"/> to <see cref="Find"/>'s folder; empty when there is none.</summary>
    public static Dictionary<string, string?> Fallback(string key) => Find() is { } models ? new() { [key] = models } : [];

    public static string? Find()
    {
        if (Directory.Exists("models"))
        {
            return Path.GetFullPath("models");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models");
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Serving.sln")))
            {
                return candidate;
            }
        }

        return null;
    }
}
