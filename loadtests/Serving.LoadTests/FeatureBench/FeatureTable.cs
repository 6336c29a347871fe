using System.Globalization;

namespace Serving.LoadTests.FeatureBench;

/// <summary>
/// The entities of a feature CSV (<c>&lt;id&gt;,&lt;field&gt;,…</c>), with their values in the model's field order:
/// what the bench writes to Redis and what it sends inline.
/// </summary>
internal sealed class FeatureTable
{
    private FeatureTable(IReadOnlyList<string> fields, IReadOnlyList<Entity> entities)
    {
        Fields = fields;
        Entities = entities;
    }

    /// <summary>The fields, in the model's column order.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>The entities in file order.</summary>
    public IReadOnlyList<Entity> Entities { get; }

    /// <summary>Reads <paramref name="csvPath"/>; every field of <paramref name="spec"/> must be a column and every row whole.</summary>
    public static FeatureTable Load(string csvPath, FeatureSpec spec)
    {
        try
        {
            using var reader = new StreamReader(csvPath);
            return Parse(reader, spec, csvPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LoadTestException($"cannot read '{csvPath}': {e.Message}", e);
        }
    }

    /// <summary>Parses CSV text; <paramref name="source"/> names it in errors.</summary>
    public static FeatureTable Parse(TextReader reader, FeatureSpec spec, string source)
    {
        var header = (reader.ReadLine() ?? string.Empty).Split(',').Select(c => c.Trim()).ToArray();
        var columns = spec.Fields.Select(f => Array.IndexOf(header, f)).ToArray();
        if (header.Length < 2 || columns.Any(c => c < 1))
        {
            var missing = spec.Fields.Where(f => Array.IndexOf(header, f) < 1).Take(3);
            throw new LoadTestException($"{source}: the header lacks the model's fields ({string.Join(", ", missing)}…)");
        }

        var entities = new List<Entity>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length > 0)
            {
                entities.Add(ParseRow(line, header.Length, columns, source, lineNumber));
            }
        }

        return entities.Count > 0 ? new FeatureTable(spec.Fields, entities) : throw new LoadTestException($"{source} holds no entities");
    }

    private static Entity ParseRow(string line, int width, int[] columns, string source, int lineNumber)
    {
        var cells = line.Split(',');
        if (cells.Length != width || cells[0].Trim().Length == 0)
        {
            throw new LoadTestException($"{source} line {lineNumber}: {cells.Length} columns or an empty id; the header has {width} columns");
        }

        var values = new double[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            if (!double.TryParse(cells[columns[i]], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                throw new LoadTestException($"{source} line {lineNumber}: '{cells[columns[i]]}' is not a number");
            }
        }

        return new Entity(cells[0].Trim(), values);
    }

    /// <summary>One entity: its id and its values in field order.</summary>
    internal sealed record Entity(string Id, double[] Values);
}
