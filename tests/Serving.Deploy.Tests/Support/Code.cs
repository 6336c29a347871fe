using System.CommandLine;
using System.Text.RegularExpressions;
using Serving.Testing;

namespace Serving.Deploy.Tests.Support;

/// <summary>
/// The code's own answers: the <c>serving</c> command tree, the worker's model config parser, the
/// traffic command's policy body (internal, visible to this project), and string literals in src/.
/// </summary>
internal static class Code
{
    private static readonly Lazy<string> Sources = new(() => string.Join('\n',
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)));

    /// <summary>A fresh <c>serving</c> root command.</summary>
    public static RootCommand CommandLine() => Serving.Commands.ServingCommandLine.Create();

    /// <summary>The environment variable <c>serving traffic</c> reads the admin token from.</summary>
    public static string AdminTokenVariable => Serving.Commands.TrafficCommand.TokenVariable;

    /// <summary>The PUT body <c>serving traffic set</c> sends for these arguments.</summary>
    public static string PolicyBody(IEnumerable<string> weights, string? stickyHeader, string? pinHeader, string? shadow) =>
        Serving.Commands.TrafficCommand.PolicyBody(weights, stickyHeader, pinHeader, shadow, revision: null);

    /// <summary>Parses and validates a model config file with the worker's own loader; null when it is valid, else the loader's message.</summary>
    public static string? ModelConfigError(string modelName, string path)
    {
        try
        {
            Serving.Worker.Models.ModelConfigLoader.Load(modelName, path);
            return null;
        }
        catch (Exception e) when (e is Serving.Worker.Models.ModelConfigException or YamlDotNet.Core.YamlException)
        {
            return e.Message;
        }
    }

    /// <summary>True when src/ has <paramref name="text"/> as a C# string literal.</summary>
    public static bool HasStringLiteral(string text) => Sources.Value.Contains($"\"{text}\"", StringComparison.Ordinal);

    /// <summary>The value of an MSBuild property in a project file of the repository, or null.</summary>
    public static string? ProjectProperty(string project, string property)
    {
        var match = Regex.Match(File.ReadAllText(Path.Combine(RepoPaths.Root, project)), $"<{property}>([^<]*)</{property}>");
        return match.Success ? match.Groups[1].Value : null;
    }
}
