namespace Serving.Commands;

/// <summary>Finds the sample model repository when none is configured: ./models, else a models/ above the executable.</summary>
internal static class ModelRepositoryLocator
{
    /// <summary>
    /// The sample repository for <paramref name="key"/> (e.g. <c>Serving:Worker:ModelRepository</c>), or null when the
    /// environment already sets that key (<c>Serving__Worker__ModelRepository</c>): the environment must win over a guess.
    /// </summary>
    public static string? FindUnlessConfigured(string key) =>
        Environment.GetEnvironmentVariable(key.Replace(":", "__", StringComparison.Ordinal)) is { Length: > 0 } ? null : Find();

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
