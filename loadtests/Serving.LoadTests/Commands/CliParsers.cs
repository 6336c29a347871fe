using System.CommandLine.Parsing;
using System.Globalization;
using static System.FormattableString;

namespace Serving.LoadTests.Commands;

/// <summary>Parsers for option values System.CommandLine does not read the way a load test writes them.</summary>
internal static class CliParsers
{
    /// <summary>A duration such as <c>500ms</c>, <c>10s</c>, <c>2m</c> or a bare number of seconds.</summary>
    public static TimeSpan Duration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (TryParseDuration(text, out var value))
        {
            return value;
        }

        result.AddError($"'{text}' is not a duration: use e.g. 250us, 500ms, 10s, 2m");
        return default;
    }

    /// <summary>A comma-separated list of positive integers such as <c>1,64</c>.</summary>
    public static int[] PositiveInts(ArgumentResult result)
    {
        var values = new List<int>();
        foreach (var token in result.Tokens)
        {
            foreach (var part in token.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
                {
                    result.AddError($"'{part}' is not a positive integer");
                    return [];
                }

                values.Add(n);
            }
        }

        return [.. values];
    }

    /// <summary>A duration as <see cref="TryParseDuration"/> reads it: <c>2m</c>, <c>10s</c>, <c>500ms</c>, <c>250us</c>.</summary>
    public static string FormatDuration(TimeSpan value) => value.Ticks switch
    {
        var t when t >= TimeSpan.TicksPerMinute && t % TimeSpan.TicksPerMinute == 0 => Invariant($"{t / TimeSpan.TicksPerMinute}m"),
        var t when t % TimeSpan.TicksPerSecond == 0 => Invariant($"{t / TimeSpan.TicksPerSecond}s"),
        var t when t % TimeSpan.TicksPerMillisecond == 0 => Invariant($"{t / TimeSpan.TicksPerMillisecond}ms"),
        var t => Invariant($"{t / (double)TimeSpan.TicksPerMicrosecond}us"),
    };

    /// <summary>Parses a duration; false when it is not one.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        var (number, scale) = text switch
        {
            _ when text.EndsWith("us", StringComparison.Ordinal) || text.EndsWith("µs", StringComparison.Ordinal) => (text[..^2], 0.000_001),
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ => (text, 1.0),
        };
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 && double.IsFinite(n))
        {
            value = TimeSpan.FromSeconds(n * scale);
            return true;
        }

        value = default;
        return false;
    }
}
