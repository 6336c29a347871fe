namespace Serving.Deploy.Tests.Support;

/// <summary>Small accessors over <see cref="YamlTree"/> trees.</summary>
internal static class Tree
{
    public static Dictionary<string, object?>? Map(this Dictionary<string, object?>? node, string key) =>
        node is not null && node.TryGetValue(key, out var v) ? v as Dictionary<string, object?> : null;

    public static List<object?> Seq(this Dictionary<string, object?>? node, string key) =>
        node is not null && node.TryGetValue(key, out var v) && v is List<object?> list ? list : [];

    public static IEnumerable<Dictionary<string, object?>> Maps(this Dictionary<string, object?>? node, string key) =>
        node.Seq(key).OfType<Dictionary<string, object?>>();

    public static string? Str(this Dictionary<string, object?>? node, string key) =>
        node is not null && node.TryGetValue(key, out var v) ? v as string : null;

    /// <summary>A list of strings, or one string split on whitespace (compose's shell-less string form).</summary>
    public static List<string> Strings(this Dictionary<string, object?>? node, string key) =>
        node is not null && node.TryGetValue(key, out var v)
            ? v switch
            {
                List<object?> list => [.. list.Select(x => x as string ?? "")],
                string s => [.. s.Split(' ', StringSplitOptions.RemoveEmptyEntries)],
                _ => [],
            }
            : [];

    /// <summary>A string→string map (labels, compose environment in map or list form).</summary>
    public static Dictionary<string, string?> StringMap(this Dictionary<string, object?>? node, string key)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (node is null || !node.TryGetValue(key, out var v))
        {
            return result;
        }

        if (v is Dictionary<string, object?> map)
        {
            foreach (var (k, value) in map)
            {
                result[k] = value as string;
            }
        }
        else if (v is List<object?> list)
        {
            foreach (var item in list.OfType<string>())
            {
                var eq = item.IndexOf('=', StringComparison.Ordinal);
                result[eq < 0 ? item : item[..eq]] = eq < 0 ? null : item[(eq + 1)..];
            }
        }

        return result;
    }
}
