using System.Text.RegularExpressions;

namespace Serving.FunctionalTests.Observability;

/// <summary>The metric names a PromQL expression (or a Grafana <c>label_values(...)</c> query) selects.</summary>
internal static partial class PromQlNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan",
    };

    public static IReadOnlySet<string> Of(string expression)
    {
        var labelValues = LabelValues().Match(expression);
        if (labelValues.Success)
        {
            // label_values(metric{...}, label): the second argument is a label, not a series.
            return Of(labelValues.Groups["selector"].Value);
        }

        var s = StringLiteral().Replace(expression, " ");
        s = LabelMatchers().Replace(s, " ");
        s = RangeOrSubquery().Replace(s, " ");
        s = Grouping().Replace(s, " ");
        s = Variable().Replace(s, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifier().Matches(s))
        {
            var name = m.Value;
            var next = s.AsSpan(m.Index + m.Length).TrimStart();
            if (!Keywords.Contains(name) && (next.IsEmpty || next[0] != '('))
            {
                names.Add(name);
            }
        }

        return names;
    }

    [GeneratedRegex(@"^\s*label_values\(\s*(?<selector>[^,]+?)\s*(,[^)]*)?\)\s*$")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Variable();

    [GeneratedRegex(@"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();
}
