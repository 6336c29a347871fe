using System.Text.RegularExpressions;
using Serving.Testing;

namespace Serving.FunctionalTests.Observability;

/// <summary>docs/metrics.md, parsed: one row per <c>serving_*</c> series under its <c>## Role: x</c> heading, and the runtime prefixes.</summary>
internal sealed partial class MetricsCatalogue
{
    private MetricsCatalogue(IReadOnlyList<CataloguedSeries> series, IReadOnlyList<string> defaultPrefixes)
    {
        Series = series;
        DefaultPrefixes = defaultPrefixes;
    }

    public static string DocumentPath => Path.Combine(RepoPaths.Root, "docs", "metrics.md");

    public IReadOnlyList<CataloguedSeries> Series { get; }

    /// <summary>Prefixes of the runtime and library families (<c>process_</c>, ...).</summary>
    public IReadOnlyList<string> DefaultPrefixes { get; }

    public static MetricsCatalogue Load() => Parse(File.ReadAllText(DocumentPath));

    public static MetricsCatalogue Parse(string markdown)
    {
        var series = new List<CataloguedSeries>();
        var prefixes = new List<string>();
        string? role = null;
        var inDefaults = false;
        foreach (var line in markdown.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                var heading = RoleHeading().Match(line);
                role = heading.Success ? heading.Groups["role"].Value : null;
                inDefaults = line.StartsWith("## Runtime and library series", StringComparison.Ordinal);
                continue;
            }

            var cells = Cells(line);
            if (role is not null && cells is [var name, var type, var labels, var appears, _] && name.StartsWith("`serving_", StringComparison.Ordinal))
            {
                series.Add(new CataloguedSeries(role, Unquote(name), type, Labels(labels), appears));
            }
            else if (inDefaults && cells is [var prefix, _, _] && prefix.StartsWith('`'))
            {
                prefixes.Add(Unquote(prefix));
            }
        }

        return new MetricsCatalogue(series, prefixes);
    }

    /// <summary>The catalogued family a scraped or queried name belongs to (a histogram's <c>_bucket</c>/<c>_sum</c>/<c>_count</c> included).</summary>
    public CataloguedSeries? Find(string name)
    {
        foreach (var s in Series)
        {
            if (s.Name == name || (s.Type == "histogram" && (name == s.Name + "_bucket" || name == s.Name + "_sum" || name == s.Name + "_count")))
            {
                return s;
            }
        }

        return null;
    }

    public bool IsDefault(string name) => DefaultPrefixes.Any(p => name.StartsWith(p.TrimEnd('*'), StringComparison.Ordinal));

    /// <summary>True when a metric name (series, histogram part or runtime family) is catalogued.</summary>
    public bool Knows(string name) => Find(name) is not null || (!name.StartsWith("serving_", StringComparison.Ordinal) && IsDefault(name));

    private static string[]? Cells(string line)
    {
        var t = line.Trim();
        if (!t.StartsWith('|') || !t.EndsWith('|') || t.StartsWith("| ---", StringComparison.Ordinal))
        {
            return null;
        }

        // Cells split on pipes that are not escaped (the meaning column may hold \|).
        return [.. PipeSplit().Split(t[1..^1]).Select(c => c.Trim())];
    }

    private static string Unquote(string cell) => cell.Trim('`');

    private static string[] Labels(string cell) =>
        cell == "—" ? [] : [.. cell.Split(',').Select(l => Unquote(l.Trim())).Order(StringComparer.Ordinal)];

    [GeneratedRegex(@"^## Role: (?<role>[a-z]+)\s*$")]
    private static partial Regex RoleHeading();

    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex PipeSplit();
}

/// <summary>One catalogue row.</summary>
internal sealed record CataloguedSeries(string Role, string Name, string Type, string[] Labels, string Appears)
{
    public bool AfterEventOnly => Appears == "event";
}
