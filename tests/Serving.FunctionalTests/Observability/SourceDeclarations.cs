using System.Text.RegularExpressions;
using Serving.Testing;

namespace Serving.FunctionalTests.Observability;

/// <summary>The <c>serving_*</c> series each role's source declares (prometheus-net <c>Metrics.CreateX("name", ...)</c>), found by reading src/.</summary>
internal static partial class SourceDeclarations
{
    /// <summary>The project each role's series live in.</summary>
    public static readonly IReadOnlyDictionary<string, string> Projects = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["worker"] = "Serving.Worker",
        ["gateway"] = "Serving.Gateway",
        ["drift"] = "Serving.Drift",
    };

    public static IReadOnlyList<DeclaredSeries> Read()
    {
        var declared = new List<DeclaredSeries>();
        foreach (var (role, project) in Projects)
        {
            var root = Path.Combine(RepoPaths.Root, "src", project);
            foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            {
                foreach (Match m in Declaration().Matches(File.ReadAllText(file)))
                {
                    declared.Add(new DeclaredSeries(role, m.Groups["name"].Value, m.Groups["type"].Value.ToLowerInvariant(), Path.GetRelativePath(RepoPaths.Root, file)));
                }
            }
        }

        return declared;
    }

    /// <summary>Every <c>"serving_..."</c> string literal under src/ (declared or not): a name must not hide outside a Create call.</summary>
    public static IReadOnlySet<string> Literals()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories))
        {
            foreach (Match m in Literal().Matches(File.ReadAllText(file)))
            {
                names.Add(m.Groups["name"].Value);
            }
        }

        return names;
    }

    [GeneratedRegex(@"Create(?<type>Counter|Gauge|Histogram|Summary)\(\s*""(?<name>serving_[a-z0-9_]+)""")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"""(?<name>serving_[a-z0-9_]+)""")]
    private static partial Regex Literal();
}

/// <summary>A series declared in a role's source.</summary>
internal sealed record DeclaredSeries(string Role, string Name, string Type, string File);
