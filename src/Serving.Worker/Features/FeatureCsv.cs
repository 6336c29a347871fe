using System.Globalization;

namespace Serving.Worker.Features;

/// <summary>
/// Reads a feature CSV: a header <c>&lt;id&gt;,&lt;field&gt;,…</c>, then one entity per line. Plain
/// comma-separated values (no quoting); bad rows are reported with their line numbers, not thrown.
/// </summary>
internal static class FeatureCsv
{
    public sealed record Row(int Line, string Id, double[] Values);

    public sealed record BadRow(int Line, string Reason);

    public sealed record Header(string IdColumn, string[] Fields);

    public static Header ReadHeader(string line)
    {
        var columns = line.Split(',').Select(c => c.Trim()).ToArray();
        if (columns.Length < 2 || columns.Any(string.IsNullOrEmpty) || columns.Distinct(StringComparer.Ordinal).Count() != columns.Length)
        {
            throw new FormatException("the header must name an id column and at least one field, all distinct and non-empty");
        }

        return new Header(columns[0], columns[1..]);
    }

    /// <summary>Parses one data line: a <see cref="Row"/>, or a <see cref="BadRow"/> saying why not.</summary>
    public static object ParseLine(int lineNumber, string line, Header header)
    {
        var cells = line.Split(',');
        if (cells.Length != header.Fields.Length + 1)
        {
            return new BadRow(lineNumber, $"{cells.Length} columns, the header has {header.Fields.Length + 1}");
        }

        var id = cells[0].Trim();
        if (id.Length == 0)
        {
            return new BadRow(lineNumber, "empty id");
        }

        var values = new double[header.Fields.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.TryParse(cells[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                return new BadRow(lineNumber, $"'{Truncate(cells[i + 1])}' in column '{header.Fields[i]}' is not a number");
            }
        }

        return new Row(lineNumber, id, values);
    }

    private static string Truncate(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
