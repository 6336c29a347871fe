using System.Text.RegularExpressions;

namespace Serving.Drift.Ingest;

/// <summary>The strict pattern model names and versions on the wire must match before they touch the file system.</summary>
internal static partial class WireNames
{
    /// <summary>A model name such as <c>tabular</c>; never <c>..</c>, a path or an escape.</summary>
    public static bool IsModel(string? name) => name is not null && NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>A version: a positive integer without leading zeros.</summary>
    public static bool IsVersion(string? version) => version is not null && VersionPattern().IsMatch(version);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[1-9][0-9]{0,17}\z", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
