using System.Text.RegularExpressions;
using Serving.Protocol.Messages;

namespace Serving.Gateway.Routing;

/// <summary>The strict pattern model names and versions must match (the worker's rule), checked before a name is looked up or echoed.</summary>
internal static partial class Names
{
    public const int MaxNameLength = 128;

    public static bool IsValidName(ReadOnlySpan<char> name) => NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>The version <paramref name="text"/> names, by the rule the worker and the gateway share (<see cref="ModelVersionText"/>).</summary>
    public static bool TryParseVersion(ReadOnlySpan<char> text, out long version) => ModelVersionText.TryParse(text, out version);

    /// <summary>A name safe to echo in an error message.</summary>
    public static string Printable(ReadOnlySpan<char> text) => text.Length > 64 || text.ContainsAnyInRange('\0', '\u001f') ? "(invalid)" : text.ToString();

    /// <summary>A request path safe to echo: control characters refused, long ones cut.</summary>
    public static string PrintablePath(string? path) => Serving.Protocol.Rest.RestPaths.Printable(path);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
