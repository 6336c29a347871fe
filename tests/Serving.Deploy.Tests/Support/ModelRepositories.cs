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

    /// <summary>
    /// Where a use's feature store disagrees with the image's own <c>model.yaml</c>, which <c>serving features load</c>
    /// reads to write Redis (key pattern, layout): null when they agree. A worker reading another layout than the
    /// loader wrote finds every entity missing.
    /// </summary>
    public static string? FeatureStoreMismatch(ModelConfigUse use)
    {
        using var repository = With(use);
        var manifest = Serving.Worker.Models.ModelConfigLoader.Load(use.Model, Path.Combine(repository.Path, use.Model, "model.yaml")).Features;
        var image = Serving.Worker.Models.ModelConfigLoader.Load(use.Model, Path.Combine(RepoPaths.Models, use.Model, "model.yaml")).Features;
        if (manifest is null || image is null)
        {
            return null;
        }

        return manifest.KeyPattern != image.KeyPattern ? $"{use.Source}: features.key_pattern '{manifest.KeyPattern}', but models/{use.Model}/model.yaml (the loader's) says '{image.KeyPattern}'"
            : manifest.Layout != image.Layout ? $"{use.Source}: features.layout '{manifest.Layout}', but models/{use.Model}/model.yaml (the loader's) says '{image.Layout}'"
            : null;
    }
}
