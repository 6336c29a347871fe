using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Serving.Gateway.Routing;
using Serving.Hosting.Configuration;
using Serving.Gateway.Traffic;

namespace Serving.Gateway.Admin;

/// <summary>
/// Says why a policy body did not parse in the policy's own terms (the key path, what the key takes, where), never in
/// .NET's: System.Text.Json's messages name CLR types ("could not be converted to System.Int32", "could not be mapped
/// to any .NET member contained in type 'Serving.Gateway.Traffic.TrafficPolicyDocument'"). The key path is read from
/// the exception and resolved against the policy document's generated JSON metadata.
/// </summary>
internal static class PolicyJsonErrors
{
    public static string Describe(JsonException e)
    {
        if (e.InnerException is not null and not (InvalidOperationException or FormatException or OverflowException))
        {
            // The reader's own syntax messages name no types: kept, with where the reader stopped instead of their
            // "Path: … | LineNumber: …" tail. Other errors are located by their key path.
            return $"{WithoutPosition(e.Message)} ({Position(e)})";
        }

        var segments = Segments(e.Path);
        JsonTypeInfo type = TrafficJsonContext.Default.TrafficPolicyDocument;
        for (var i = 0; i < segments.Count; i++)
        {
            var name = segments[i];
            if (type.Kind == JsonTypeInfoKind.Dictionary)
            {
                type = TrafficJsonContext.Default.GetTypeInfo(type.ElementType!)!;
                continue;
            }

            var property = type.Kind == JsonTypeInfoKind.Object ? type.Properties.FirstOrDefault(p => p.Name == name) : null;
            if (property is null)
            {
                var keys = type.Properties.Select(p => p.Name);
                return $"'{Names.Printable(name)}' is not a key of {Section(segments, i)}: its keys are {string.Join(", ", keys)}";
            }

            type = TrafficJsonContext.Default.GetTypeInfo(property.PropertyType)!;
        }

        if (e.Message.StartsWith("Duplicate propert", StringComparison.Ordinal))
        {
            return segments.Count == 0
                ? "a key appears more than once"
                : $"'{Names.Printable(segments[^1])}' appears more than once in {Section(segments, segments.Count - 1)}";
        }

        var what = segments.Count == 0 ? "the body" : Names.Printable(string.Join('.', segments));
        return $"{what} must be {Kind(type)}";
    }

    private static string Kind(JsonTypeInfo type)
    {
        return type.Kind switch
        {
            JsonTypeInfoKind.Dictionary => $"an object whose values are each {Kind(TrafficJsonContext.Default.GetTypeInfo(type.ElementType!)!)}",
            JsonTypeInfoKind.Enumerable => "an array",
            JsonTypeInfoKind.Object => "an object (or null)",
            _ => ValueWords.For(type.Type) ?? (type.Type == typeof(string) ? "a string" : "another kind of value"),
        };
    }

    private static string Section(List<string> segments, int index) =>
        index == 0 ? "the policy" : Names.Printable(string.Join('.', segments.Take(index)));

    // "$.shadow.percent" or "$['odd.name'].x" into its key names.
    private static List<string> Segments(string? path)
    {
        var segments = new List<string>();
        if (string.IsNullOrEmpty(path) || path[0] != '$')
        {
            return segments;
        }

        for (var i = 1; i < path.Length;)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                // The key is written as it is: one holding "']" ends at the "']" that ends the path or comes before the next key.
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                while (end >= 0 && end + 2 < path.Length && path[end + 2] is not ('.' or '['))
                {
                    end = path.IndexOf("']", end + 1, StringComparison.Ordinal);
                }

                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 2)..end]);
                i = end + 2;
            }
            else
            {
                // An array index ([0]) or something unforeseen: the path up to here is what can be named.
                break;
            }
        }

        return segments;
    }

    private static string Position(JsonException e) =>
        string.Create(CultureInfo.InvariantCulture, $"line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}");

    private static string WithoutPosition(string message)
    {
        var tail = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return tail < 0 ? message : message[..tail];
    }
}
