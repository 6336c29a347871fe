using Serving.Deploy.Tests.Checks;
using Serving.Testing;

namespace Serving.Deploy.Tests.Support;

/// <summary>A model repository as a worker in the image sees it: the model's folder from models/, with the manifest's model.yaml over it.</summary>
internal static class ModelRepositories
{
    public static TempDirectory With(ModelConfigUse use)
    {
        var repository = RepoPaths.CopyModels(RepoPaths.Models, use.Model);
        var folder = Path.Combine(repository.Path, use.Model);
        foreach (var name in new[] { "model.yaml", "model.yml", "model.json" })
        {
            File.Delete(Path.Combine(folder, name));
        }

        File.WriteAllText(Path.Combine(folder, "model.yaml"), use.Yaml);
        return repository;
    }

    /// <summary>The worker's own loader's verdict on a use's model.yaml: null when valid.</summary>
    public static string? Error(ModelConfigUse use)
    {
        if (!Directory.Exists(Path.Combine(RepoPaths.Models, use.Model)))
        {
            return $"{use.Source}: no model {use.Model} in models/ (the image's /models)";
        }

        using var repository = With(use);
        return Code.ModelConfigError(use.Model, Path.Combine(repository.Path, use.Model, "model.yaml")) is { } error ? $"{use.Source}: {error}" : null;
    }
}
