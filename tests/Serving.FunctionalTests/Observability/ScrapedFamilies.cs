namespace Serving.FunctionalTests.Observability;

/// <summary>A Prometheus text exposition, as metric families: the declared type and the label names seen on the samples.</summary>
internal sealed class ScrapedFamilies
{
    private readonly Dictionary<string, ScrapedFamily> _families = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ScrapedFamily> Families => _families.Values;

    public ScrapedFamily? this[string name] => _families.GetValueOrDefault(name);

    public static async Task<ScrapedFamilies> ScrapeAsync(HttpClient client)
    {
        var text = await client.GetStringAsync("/metrics");
        return Parse(text);
    }

    public static ScrapedFamilies Parse(string text)
    {
        var scraped = new ScrapedFamilies();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                scraped.Family(parts[2]).Type = parts[3];
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                scraped.AddSample(line);
            }
        }

        return scraped;
    }

    private ScrapedFamily Family(string name)
    {
        if (!_families.TryGetValue(name, out var family))
        {
            family = new ScrapedFamily(name);
            _families.Add(name, family);
        }

        return family;
    }

    private void AddSample(string line)
    {
        var brace = line.IndexOf('{', StringComparison.Ordinal);
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var sampleName = brace >= 0 && brace < space ? line[..brace] : line[..space];
        var family = _families.GetValueOrDefault(sampleName) ?? HistogramOf(sampleName) ?? Family(sampleName);
        family.SampleNames.Add(sampleName);
        family.Samples++;
        if (brace >= 0 && brace < space)
        {
            var labels = line[(brace + 1)..line.LastIndexOf('}')];
            foreach (var pair in SplitLabels(labels))
            {
                var name = pair[..pair.IndexOf('=', StringComparison.Ordinal)];
                if (name is not ("le" or "quantile"))
                {
                    family.Labels.Add(name);
                }
            }
        }
    }

    // A histogram's samples are named <family>_bucket, _sum and _count.
    private ScrapedFamily? HistogramOf(string sampleName)
    {
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal)
                && _families.GetValueOrDefault(sampleName[..^suffix.Length]) is { Type: "histogram" } histogram)
            {
                return histogram;
            }
        }

        return null;
    }

    // Label values are quoted and may hold commas: split on the commas between pairs only.
    private static IEnumerable<string> SplitLabels(string labels)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] == '"' && (i == 0 || labels[i - 1] != '\\'))
            {
                quoted = !quoted;
            }
            else if (labels[i] == ',' && !quoted)
            {
                yield return labels[start..i];
                start = i + 1;
            }
        }

        if (start < labels.Length)
        {
            yield return labels[start..];
        }
    }
}

/// <summary>One scraped family.</summary>
internal sealed class ScrapedFamily(string name)
{
    public string Name { get; } = name;

    public string Type { get; set; } = "untyped";

    public SortedSet<string> Labels { get; } = new(StringComparer.Ordinal);

    /// <summary>The sample names seen (a histogram's <c>_bucket</c>, <c>_sum</c>, <c>_count</c>).</summary>
    public HashSet<string> SampleNames { get; } = new(StringComparer.Ordinal);

    public int Samples { get; set; }
}
