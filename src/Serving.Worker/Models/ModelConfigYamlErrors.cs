using System.Collections;
using System.Reflection;
using Serving.Hosting.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization.NamingConventions;

namespace Serving.Worker.Models;

/// <summary>
/// Says what is wrong with a <c>model.yaml</c> in the file's terms: the key, its value and what it takes, or the keys a
/// section has. YamlDotNet's own messages name .NET types ("No node deserializer was able to deserialize the node into
/// type System.Int32…", "Property 'x' not found on type 'Serving.Worker.Models.ModelConfig'").
/// </summary>
internal static class ModelConfigYamlErrors
{
    /// <summary>The message for <paramref name="error"/>, raised while reading <paramref name="text"/> (the file <paramref name="fileName"/>) into <see cref="ModelConfig"/>.</summary>
    public static string Describe(string text, YamlException error, string fileName)
    {
        var at = $"line {error.Start.Line}, column {error.Start.Column}";
        if (TabIndentedLine(text) is { } tabbed)
        {
            // YamlDotNet places this at the start of the document or of the block, not at the tab.
            return $"line {tabbed}: a tab in the indentation: indent YAML with spaces";
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException syntax)
        {
            // Not YAML at all: the parser's own words are about the text, not about .NET.
            return $"line {syntax.Start.Line}, column {syntax.Start.Column}: {Innermost(syntax).Message} (check the indentation, quotes and brackets there)";
        }
        catch (InvalidOperationException)
        {
            // The representation model gives up on some broken text (an unclosed flow mapping) without a position.
            return $"{at}: {Innermost(error).Message} (check the indentation, quotes and brackets there)";
        }

        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is not YamlMappingNode)
        {
            return $"line 1, column 1: {fileName} must be a mapping of keys ({string.Join(", ", Keys(typeof(ModelConfig)))}), one per line";
        }

        var found = stream.Documents.Count == 0 ? null : Find(stream.Documents[0].RootNode, typeof(ModelConfig), "", error.Start, fileName);
        return found is null ? $"{at}: {Innermost(error).Message}" : $"{at}: {found}";
    }

    // The 1-based number of the first line whose indentation holds a tab (YAML forbids tabs there), or null.
    private static int? TabIndentedLine(string text)
    {
        var number = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            number++;
            var content = line.TrimStart(" \t");
            if (content.Length > 0 && content[0] != '#' && line[..(line.Length - content.Length)].Contains('\t'))
            {
                return number;
            }
        }

        return null;
    }

    private static string? Find(YamlNode node, Type type, string path, Mark mark, string fileName)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                // A name-to-value map (defaults) takes any key; a section takes its properties' keys.
                var values = Dictionary(type);
                foreach (var (key, value) in mapping.Children)
                {
                    var name = Scalar(key);
                    var valueType = values ?? Property(type, name)?.PropertyType;
                    if (valueType is null)
                    {
                        if (At(key, mark))
                        {
                            var section = path.Length == 0 ? fileName : path.TrimEnd('.');
                            return $"'{path}{name}' is not a key of {section}: its keys are {string.Join(", ", Keys(type))}";
                        }

                        continue;
                    }

                    if (Within(path + name, value, valueType, mark, fileName) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case YamlSequenceNode sequence when Element(type) is { } elementType:
                var index = 0;
                foreach (var item in sequence.Children)
                {
                    if (Within($"{path.TrimEnd('.')}[{index++}]", item, elementType, mark, fileName) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    // The value itself is the one refused, or something inside it. A block mapping starts where its first key does: a
    // section's unknown first key (dynamic_batching's max_queue_delay_microseconds, Triton's name) is that key's mistake, not
    // the section's, which was said to be "a mapping ... not a mapping with the keys …".
    private static string? Within(string name, YamlNode value, Type type, Mark mark, string fileName) =>
        !At(value, mark) || (value is YamlMappingNode && IsSection(type))
            ? Find(value, type, name + ".", mark, fileName) ?? (At(value, mark) ? NotA(name, value, type) : null)
            : NotA(name, value, type);

    // A type read from a mapping of its own keys (model.yaml's sections), not a value, list or name-to-value map.
    private static bool IsSection(Type type) =>
        type.IsClass && type != typeof(string) && Element(type) is null && Dictionary(type) is null;

    private static string NotA(string key, YamlNode value, Type type)
    {
        var shown = value is YamlScalarNode scalar ? $"'{Short(scalar.Value ?? "")}'" : value is YamlSequenceNode ? "a list" : "a mapping";
        return $"{key}: {shown} is not {Expected(type)}";
    }

    private static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int))
        {
            return "a whole number (up to 2147483647)";
        }

        if (type == typeof(string))
        {
            return "text";
        }

        if (ValueWords.For(type) is { } words)
        {
            return words;
        }

        if (Element(type) is { } element)
        {
            return $"a list of {Plural(Expected(element))}";
        }

        return Dictionary(type) is { } value
            ? $"a mapping of names to {Plural(Expected(value))}"
            : $"a mapping with the keys {string.Join(", ", Keys(type))}";
    }

    private static string Plural(string expected) => expected switch
    {
        "a whole number (up to 2147483647)" or "a whole number" => "whole numbers",
        "a number" => "numbers",
        _ => expected.StartsWith("a mapping", StringComparison.Ordinal) ? "mappings" + expected["a mapping".Length..] : expected,
    };

    private static bool At(YamlNode node, Mark mark) => node.Start.Line == mark.Line && node.Start.Column == mark.Column;

    private static string Scalar(YamlNode node) => node is YamlScalarNode { Value: { } value } ? value : "?";

    private static PropertyInfo? Property(Type type, string key) =>
        Properties(type).FirstOrDefault(p => UnderscoredNamingConvention.Instance.Apply(p.Name) == key);

    private static IEnumerable<string> Keys(Type type) => Properties(type).Select(p => UnderscoredNamingConvention.Instance.Apply(p.Name));

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.GetCustomAttribute<YamlDotNet.Serialization.YamlIgnoreAttribute>() is null);

    private static Type? Element(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    private static Type? Dictionary(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) && typeof(IDictionary).IsAssignableFrom(type) ? type.GetGenericArguments()[1] : null;

    private static string Short(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}
