using System.Text.Json;
using System.Text.RegularExpressions;

namespace Serving.Worker.Models;

/// <summary>
/// Says what is wrong with a <c>model.json</c> in the file's terms, as <see cref="ModelConfigYamlErrors"/> does for YAML:
/// System.Text.Json's own messages name .NET types and members ("could not be mapped to any .NET member contained in
/// type 'Serving.Worker.Models.ModelConfig'", "could not be converted to System.Nullable`1[System.Int32]").
/// </summary>
internal static partial class ModelConfigJsonErrors
{
    public static string Describe(JsonException error, string fileName)
    {
        var at = $"line {(error.LineNumber ?? 0) + 1}";
        var path = error.Path is { Length: > 1 } p ? p.TrimStart('$').TrimStart('.') : "";
        var message = error.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            var dot = path.LastIndexOf('.');
            var section = dot < 0 ? fileName : path[..dot];
            return $"{at}: '{path}' is not a key of {section}";
        }

        if (ConvertedTo().Match(message) is { Success: true } m)
        {
            return path.Length == 0
                ? $"{at}: {fileName} must be a JSON object of keys such as name, platform, max_batch_size, inputs, outputs"
                : $"{at}: {path}: the value is not {Expected(m.Groups["type"].Value)}";
        }

        // A syntax error: the parser's words are about the text ("'x' is an invalid start of a value").
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal) is var i and >= 0 ? message[..i] : message;
        return $"{at}: {cut.Split(" LineNumber:")[0].TrimEnd(' ', '|', '.')}";
    }

    private static string Expected(string typeName) => typeName switch
    {
        _ when typeName.Contains("System.Int32", StringComparison.Ordinal) || typeName.Contains("System.Int64", StringComparison.Ordinal) => "a whole number",
        _ when typeName.Contains("System.Double", StringComparison.Ordinal) || typeName.Contains("System.Single", StringComparison.Ordinal) => "a number",
        _ when typeName.Contains("System.Boolean", StringComparison.Ordinal) => "true or false",
        _ when typeName.StartsWith("System.String", StringComparison.Ordinal) => "text",
        _ when typeName.Contains("List`1", StringComparison.Ordinal) || typeName.EndsWith("[]", StringComparison.Ordinal) => "a list",
        _ when typeName.Contains("Dictionary`2", StringComparison.Ordinal) => "an object of names to values",
        _ => "an object with that section's keys",
    };

    [GeneratedRegex(@"could not be converted to (?<type>\S+?)\.? Path:")]
    private static partial Regex ConvertedTo();
}
