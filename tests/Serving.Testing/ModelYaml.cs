namespace Serving.Testing;

/// <summary>Edits a model.yaml's text for a test: a top-level section replaced, not given twice (a repeated key is refused).</summary>
public static class ModelYaml
{
    /// <summary>
    /// <paramref name="yaml"/> with its top-level <paramref name="key"/> section (the key's line and the indented or
    /// comment lines under it) removed, and <c>key:</c> with <paramref name="body"/> (indented lines) added at the end.
    /// </summary>
    public static string WithSection(string yaml, string key, string body)
    {
        var lines = yaml.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        var start = lines.FindIndex(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        if (start >= 0)
        {
            var end = start + 1;
            while (end < lines.Count && (lines[end].StartsWith(' ') || lines[end].StartsWith('\t')))
            {
                end++;
            }

            lines.RemoveRange(start, end - start);
        }

        return string.Join('\n', lines).TrimEnd('\n') + $"\n{key}:\n" + body;
    }
}
