using YamlDotNet.RepresentationModel;

namespace Serving.Deploy.Tests.Support;

/// <summary>YAML documents as plain trees (dictionaries, lists, strings), with aliases and merge keys (<c>&lt;&lt;</c>) resolved.</summary>
internal static class YamlTree
{
    /// <summary>Every non-empty document of a multi-document YAML text.</summary>
    public static IReadOnlyList<Dictionary<string, object?>> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return [.. stream.Documents.Select(d => Convert(d.RootNode)).OfType<Dictionary<string, object?>>()];
    }

    /// <summary>The single document of a YAML text.</summary>
    public static Dictionary<string, object?> Document(string text) => Documents(text).Single();

    private static object? Convert(YamlNode node) => node switch
    {
        YamlScalarNode s => s.Value is "" or "~" or "null" && s.Style == YamlDotNet.Core.ScalarStyle.Plain ? null : s.Value,
        YamlSequenceNode seq => seq.Children.Select(Convert).ToList(),
        YamlMappingNode map => ConvertMap(map),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };

    private static Dictionary<string, object?> ConvertMap(YamlMappingNode map)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        var merged = new List<Dictionary<string, object?>>();
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (name == "<<")
            {
                merged.AddRange(value is YamlSequenceNode list ? list.Children.Select(MergeSource) : [MergeSource(value)]);
                continue;
            }

            result[name] = Convert(value);
        }

        // Explicit keys win over merged ones, whatever their order.
        foreach (var source in merged)
        {
            foreach (var (key, value) in source)
            {
                result.TryAdd(key, value);
            }
        }

        return result;
    }

    private static Dictionary<string, object?> MergeSource(YamlNode node) =>
        node as YamlMappingNode is { } map ? ConvertMap(map) : throw new InvalidOperationException("a merge key (<<) must name a mapping");
}
