using Serving.Deploy.Tests.Checks;
using Serving.Testing;

namespace Serving.Deploy.Tests.Support;

/// <summary>The committed deployment files, optionally edited (to show a check fails), run through their checkers.</summary>
internal static class Manifests
{
    public const string DockerfilePath = "Dockerfile";
    public const string ComposePath = "deploy/compose.yaml";
    public const string KubernetesDirectory = "deploy/k8s";

    public static string Read(string relative) => File.ReadAllText(Path.Combine(RepoPaths.Root, relative));

    /// <summary>Replaces <paramref name="from"/> (which must be in the text) by <paramref name="to"/>.</summary>
    public static string Edit(string text, string from, string to)
    {
        Assert.Contains(from, text, StringComparison.Ordinal);
        return text.Replace(from, to, StringComparison.Ordinal);
    }

    public static DockerfileModel Dockerfile(string? text = null) => DockerfileModel.Parse(text ?? Read(DockerfilePath));

    public static IReadOnlyDictionary<string, string?> ImageEnvironment() => Dockerfile().Environment();

    public static ComposeChecker Compose(string? text = null) => new ComposeChecker(text ?? Read(ComposePath), ImageEnvironment()).Run();

    /// <summary>Every manifest under deploy/k8s (relative paths, sorted).</summary>
    public static IReadOnlyList<string> KubernetesFiles() =>
        [.. Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, KubernetesDirectory), "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    /// <summary>The Kubernetes checks over every manifest; <paramref name="file"/>'s text edited when given.</summary>
    public static KubernetesChecker Kubernetes(string? file = null, string? from = null, string? to = null) =>
        new KubernetesChecker(
            KubernetesFiles().Select(f => (f, f == file ? Edit(Read(f), from!, to!) : Read(f))),
            ImageEnvironment()).Run();
}
