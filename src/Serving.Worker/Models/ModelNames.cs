using System.Text.RegularExpressions;

namespace Serving.Worker.Models;

/// <summary>The strict pattern model names and versions must match before they touch the file system.</summary>
internal static partial class ModelNames
{
    /// <summary>True for a name such as <c>tabular</c> or <c>my-model_2.v1</c>; false for <c>..</c>, <c>a/b</c>, <c>%2e</c>.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>Versions are positive integers without leading zeros (so "1" and "01" can't both name version 1).</summary>
    public static bool TryParseVersion(string? text, out long version) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version) && version > 0 && text![0] != '0'
        && !text.AsSpan().ContainsAnyExceptInRange('0', '9'); // long.TryParse takes trailing NULs: "1\0" read as version 1

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
