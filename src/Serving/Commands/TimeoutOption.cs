using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Serving.Commands;

/// <summary>
/// <c>--timeout SECONDS</c> of the client commands (<c>infer</c>, <c>traffic</c>): how long to wait for a server's answer,
/// so that a port that takes the connection and never answers ends the command with a message, not a hang. A value that
/// is no whole number from 1 to 3600 is refused in words, not with a .NET type name.
/// </summary>
internal static class TimeoutOption
{
    public const int DefaultSeconds = 30;

    public static Option<int> Create(string waitsFor, bool recursive = false) => new("--timeout")
    {
        Description = $"Seconds to wait for {waitsFor} (1 to 3600)",
        DefaultValueFactory = _ => DefaultSeconds,
        CustomParser = Parse,
        Recursive = recursive,
    };

    private static int Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 3600)
        {
            return seconds;
        }

        result.AddError($"--timeout '{text}' is not a number of seconds: give a whole number from 1 to 3600 (default {DefaultSeconds})");
        return DefaultSeconds;
    }
}
