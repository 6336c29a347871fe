using System.Globalization;

namespace Serving.Protocol.Messages;

/// <summary>
/// The one rule for a model version's text, the worker's and the gateway's: a positive integer in ASCII digits without
/// leading zeros, so "1" and "01" can't both name version 1.
/// </summary>
public static class ModelVersionText
{
    /// <summary>The version <paramref name="text"/> names; false when it names none.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out long version) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version) && version > 0 && text[0] != '0'
        && !text.ContainsAnyExceptInRange('0', '9'); // long.TryParse takes trailing NULs: "1\0" read as version 1

    /// <summary>
    /// A worker's reason for a version without the <c>model 'm' version v: </c> it begins with, for a message that
    /// names the version itself (the worker's 503s, the gateway's); the reason as it is when it begins otherwise.
    /// </summary>
    public static string WithoutName(string reason, string model, string version)
    {
        var name = $"model '{model}' version {version}: ";
        return reason.Length > name.Length && reason.StartsWith(name, StringComparison.Ordinal) ? reason[name.Length..] : reason;
    }
}
