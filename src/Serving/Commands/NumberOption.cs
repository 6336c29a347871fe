using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Serving.Commands;

/// <summary>
/// A number option whose value that is no number is refused in words ("--window 'abc' is not a number of seconds: give
/// a whole number from 5 to 3600"), not with System.CommandLine's "Cannot parse argument 'abc' … as expected type
/// 'System.Nullable`1[System.Int32]'". Ranges are checked where they are known (the gateway's admin API, the command).
/// </summary>
internal static class NumberOption
{
    public static Option<int?> WholeNumber(string name, string description, string refusal) =>
        Create<int>(name, description, refusal, static (string text, out int value) => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value));

    public static Option<long?> LongWholeNumber(string name, string description, string refusal) =>
        Create<long>(name, description, refusal, static (string text, out long value) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value));

    public static Option<double?> Fraction(string name, string description, string refusal) =>
        Create<double>(name, description, refusal, static (string text, out double value) =>
            double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value) && double.IsFinite(value));

    private delegate bool TryParse<T>(string text, out T value);

    private static Option<T?> Create<T>(string name, string description, string refusal, TryParse<T> tryParse)
        where T : struct => new(name)
    {
        Description = description,
        CustomParser = result => Parse(name, refusal, tryParse, result),
    };

    private static T? Parse<T>(string name, string refusal, TryParse<T> tryParse, ArgumentResult result)
        where T : struct
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (tryParse(text, out var value))
        {
            return value;
        }

        result.AddError($"{name} '{text}' is {refusal}");
        return null;
    }
}
