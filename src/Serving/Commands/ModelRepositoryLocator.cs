namespace Serving.Commands;

/// <summary>Finds the sample model repository when none is configured: ./models, else a models/ above the executable.</summary>
internal static class ModelRepositoryLocator
{
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
