using System.Collections;
using System.Reflection;
using Serving.Hosting.Configuration;
using YamlDotNet.Core;
using Events = YamlDotNet.Core.Events;
using YamlDotNet.Core.Tokens;
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
    public static string Describe(string text, Exception error, string fileName)
    {
        if (error is not YamlException yaml)
        {
            return Unreadable(text, error);
        }

        var at = $"line {yaml.Start.Line}, column {yaml.Start.Column}";
        if (TabIndentedLine(text) is { } tabbed)
        {
            // YamlDotNet places this at the start of the document or of the block, not at the tab.
            return $"line {tabbed}: a tab in the indentation: indent YAML with spaces";
        }

        if (NestedTooDeep(text) is { } deep)
        {
            // The representation model below reads nesting by recursion: 100,000 brackets overflowed the stack, ending the process.
            return $"line {deep.Line}, column {deep.Column}: values nest more than {MaxDepth} deep here; a config's sections nest a few levels";
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
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // The representation model gives up on some broken text (an unclosed flow mapping) without a position; the
            // deserializer's own message is about .NET types ("Property 'x' not found on type 'Serving.Worker.Models.ModelConfig'").
            return Unreadable(text, e);
        }

        if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is not YamlMappingNode)
        {
            return $"line 1, column 1: {fileName} must be a mapping of keys ({string.Join(", ", Keys(typeof(ModelConfig)))}), one per line";
        }

        var found = stream.Documents.Count == 0 ? null : Find(stream.Documents[0].RootNode, typeof(ModelConfig), "", yaml.Start, fileName);
        return found is null ? $"{at}: {Innermost(yaml).Message}" : $"{at}: {found}";
    }

    /// <summary>The deepest nesting of lists and mappings <see cref="Describe"/> reads (as System.Text.Json's default).</summary>
    internal const int MaxDepth = 64;

    // Where the text's lists and mappings first nest deeper than MaxDepth, read by the parser (which keeps no recursion), or null.
    private static Mark? NestedTooDeep(string text)
    {
        var depth = 0;
        try
        {
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case Events.MappingStart or Events.SequenceStart when ++depth > MaxDepth:
                        return parser.Current.Start;
                    case Events.MappingEnd or Events.SequenceEnd:
                        depth--;
                        break;
                }
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException or ArgumentException)
        {
            // Broken text is described below; only its depth up to the break mattered here.
        }

        return null;
    }

    // Text YamlDotNet's parser gives up on without a position: a '[' or '{' never closed (the first one, where the
    // mistake most likely is), '...' (a document's end) before the keys, or a tag that is not a URI ("Global tags must
    // be valid URIs", an ArgumentException).
    private static string Unreadable(string text, Exception error)
    {
        Token? first = null;
        Tag? tag = null;
        try
        {
            var scanner = new Scanner(new StringReader(text));
            while (scanner.MoveNext())
            {
                first ??= scanner.Current is StreamStart ? null : scanner.Current;
                tag ??= scanner.Current as Tag;
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // The scanner stops at an unclosed bracket too (before giving the bracket): the text is read for those below.
        }

        if (error is ArgumentException && tag is not null)
        {
            return $"line {tag.Start.Line}, column {tag.Start.Column}: the tag '{Short(tag.Handle + tag.Suffix)}' is not a valid tag: remove it (a config's values need no tags)";
        }

        if (UnclosedBracket(text) is var (line, column, bracket))
        {
            return $"line {line}, column {column}: this {(bracket == '[' ? "[ (a list)" : "{ (a mapping)")} is never closed: close it, or write the value without brackets";
        }

        return first is DocumentEnd
            ? $"line {first.Start.Line}, column {first.Start.Column}: '...' ends the document before its keys: remove it"
            : "is not YAML that can be read: check its '---' and '...' lines (a config is one document), indentation, quotes and brackets";
    }

    // The first '[' or '{' that no ']' or '}' closes, outside quoted text and comments; null when each is closed.
    private static (int Line, int Column, char Bracket)? UnclosedBracket(string text)
    {
        var open = new Stack<(int Line, int Column, char Bracket)>();
        var (line, column, quote) = (1, 0, '\0');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            column++;
            if (c == '\n')
            {
                (line, column) = (line + 1, 0);
            }
            else if (quote != '\0')
            {
                if (c == '\\' && quote == '"')
                {
                    i++; // an escape: the next character is not the closing quote
                    column++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'' && (i == 0 || text[i - 1] is ' ' or '\t' or '\n' or '[' or '{' or ','))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
            {
                var end = text.IndexOf('\n', i);
                i = (end < 0 ? text.Length : end) - 1; // a comment, to its line's end
            }
            else if (c is '[' or '{')
            {
                open.Push((line, column, c));
            }
            else if (c is ']' or '}' && open.Count > 0)
            {
                open.Pop();
            }
        }

        return open.Count > 0 ? open.Last() : null;
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
