using Serving.LoadTests.Bench;

namespace Serving.LoadTests.Tests.TestSupport;

/// <summary>What a bench that keeps a model's own settings should use and report: those of its <c>model.yaml</c> in the repository.</summary>
internal static class OwnBatching
{
    public static BatchingConfig Config(string repositoryRoot, string model) =>
        BatchingConfig.Resolve(File.ReadAllText(Path.Combine(repositoryRoot, "models", model, "model.yaml")), new BatchingOverrides());

    public static string Of(string repositoryRoot, string model) => Config(repositoryRoot, model).Describe();
}
