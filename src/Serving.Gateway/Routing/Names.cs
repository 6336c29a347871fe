using System.Text.RegularExpressions;

namespace Serving.Gateway.Routing;

/// <summary>The strict pattern model names and versions must match (the worker's rule), checked before a name is looked up or echoed.</summary>
internal static partial class Names
{
    public const int MaxNameLength = 128;

    public static bool IsValidName(ReadOnlySpan<char> name) => NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>Versions are positive integers without leading zeros.</summary>
    public static bool TryParseVersion(ReadOnlySpan<char> text, out long version) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version) && version > 0 && text[0] != '0'
        && !text.ContainsAnyExceptInRange('0', '9'); // long.TryParse takes trailing NULs: "1\0" read as version 1

    /// <summary>A name safe to echo in an error message.</summary>
    public static string Printable(ReadOnlySpan<char> text) => text.Length > 64 || text.ContainsAnyInRange('\0', '\u001f') ? "(invalid)" : text.ToString();

    /// <summary>A request path safe to echo: control characters refused, long ones cut.</summary>
    public static string PrintablePath(string? path) => Serving.Protocol.Rest.RestPaths.Printable(path);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
