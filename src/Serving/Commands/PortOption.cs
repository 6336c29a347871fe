using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Serving.Commands;

/// <summary>
/// A port option whose value that is no number is refused in words ("'abc' is not a port"), not with System.CommandLine's
/// "Cannot parse argument 'abc' … as expected type 'System.Nullable`1[System.Int32]'". The range is the options
/// validators' (exit 2 naming the key).
/// </summary>
internal static class PortOption
{
    public static Option<int?> Create(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(name, result),
    };

    private static int? Parse(string name, ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var port))
        {
            return port;
        }

        result.AddError($"{name} '{text}' is not a port: give a whole number from 0 to 65535 (0 = any free port)");
        return null;
    }
}
