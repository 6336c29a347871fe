using System.CommandLine;
using System.Reflection;
using System.Text.RegularExpressions;
using Serving.Testing;

namespace Serving.Deploy.Tests.Support;

/// <summary>
/// The code's own answers: the <c>serving</c> command tree, the worker's model config parser, the
/// traffic command's policy body, and string literals in src/. The first three are internal to their
/// assemblies, so they are reached by reflection (an InternalsVisibleTo for this project would make it typed).
/// </summary>
internal static class Code
{
    private static readonly Assembly Cli = Assembly.Load("serving");

    private static readonly Lazy<string> Sources = new(() => string.Join('\n',
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)));

    /// <summary>A fresh <c>serving</c> root command (Serving.Commands.ServingCommandLine.Create()).</summary>
    public static RootCommand CommandLine() =>
        (RootCommand)Type("Serving.Commands.ServingCommandLine").GetMethod("Create", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;

    /// <summary>The environment variable <c>serving traffic</c> reads the admin token from.</summary>
    public static string AdminTokenVariable =>
        (string)Type("Serving.Commands.TrafficCommand").GetField("TokenVariable", BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    /// <summary>The PUT body <c>serving traffic set</c> sends for these arguments.</summary>
    public static string PolicyBody(IEnumerable<string> weights, string? stickyHeader, string? pinHeader, string? shadow) =>
        (string)Invoke(Type("Serving.Commands.TrafficCommand").GetMethod("PolicyBody", BindingFlags.NonPublic | BindingFlags.Static)!,
            weights, stickyHeader, pinHeader, shadow, null)!;

    /// <summary>
    /// Parses and validates a model config file with the worker's own loader (Serving.Worker.Models.ModelConfigLoader);
    /// null when it is valid, else the loader's message.
    /// </summary>
    public static string? ModelConfigError(string modelName, string path)
    {
        var loader = typeof(Serving.Worker.Hosting.WorkerHost).Assembly.GetType("Serving.Worker.Models.ModelConfigLoader", throwOnError: true)!;
        try
        {
            Invoke(loader.GetMethod("Load", BindingFlags.Public | BindingFlags.Static)!, modelName, path);
            return null;
        }
        catch (Exception e) when (e.GetType().Name == "ModelConfigException" || e is YamlDotNet.Core.YamlException)
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

    private static Type Type(string name) => Cli.GetType(name, throwOnError: true)!;

    private static object? Invoke(MethodInfo method, params object?[] args)
    {
        try
        {
            return method.Invoke(null, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}
