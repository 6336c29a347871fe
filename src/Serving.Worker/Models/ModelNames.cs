using System.Text.RegularExpressions;
using Serving.Protocol.Messages;

namespace Serving.Worker.Models;

/// <summary>The strict pattern model names and versions must match before they touch the file system.</summary>
internal static partial class ModelNames
{
    /// <summary>True for a name such as <c>tabular</c> or <c>my-model_2.v1</c>; false for <c>..</c>, <c>a/b</c>, <c>%2e</c>.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>The version <paramref name="text"/> names, by the rule the worker and the gateway share (<see cref="ModelVersionText"/>).</summary>
    public static bool TryParseVersion(string? text, out long version) => ModelVersionText.TryParse(text, out version);

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
