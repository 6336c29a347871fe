using System.Globalization;

namespace Serving.Worker.Features;

/// <summary>
/// Reads a feature CSV: a header <c>&lt;id&gt;,&lt;field&gt;,…</c>, then one entity per line. Fields may be
/// quoted as RFC 4180 says (<c>"1002"</c>, <c>"a ""b"""</c>), as spreadsheets and pandas write them; a quoted
/// field can't span lines. Bad rows are reported with their line numbers, not thrown.
/// </summary>
internal static class FeatureCsv
{
    public sealed record Row(int Line, string Id, double[] Values);

    public sealed record BadRow(int Line, string Reason);

    public sealed record Header(string IdColumn, string[] Fields);

    /// <summary>What a reader decoding UTF-8 puts in place of a byte that is not UTF-8.</summary>
    private const char NotUtf8 = '\uFFFD';

    private const string NotUtf8Reason = "not UTF-8 text (a byte UTF-8 can't hold, or U+FFFD, the character such a byte is read as): save the file as UTF-8";

    public static Header ReadHeader(string line)
    {
        if (line.Contains(NotUtf8))
        {
            throw new FormatException($"the header is {NotUtf8Reason}");
        }

        var columns = new List<string>();
        if (Split(line, columns) is { } error)
        {
            throw new FormatException($"the header is not valid CSV: {error}");
        }

        if (columns.Count < 2 || columns.Exists(string.IsNullOrEmpty) || columns.Distinct(StringComparer.Ordinal).Count() != columns.Count)
        {
            throw new FormatException("the header must name an id column and at least one field, all distinct and non-empty");
        }

        return new Header(columns[0], [.. columns.Skip(1)]);
    }

    /// <summary>Why <paramref name="header"/> can't give <paramref name="fields"/> (the model's fields it lacks), or null when it can.</summary>
    public static string? MissingFields(Header header, IReadOnlyList<string> fields)
    {
        var missing = fields.Where(f => Array.IndexOf(header.Fields, f) < 0).ToArray();
        return missing.Length == 0 ? null
            : $"the CSV header lacks the model's fields: {string.Join(", ", missing.Take(5))}{(missing.Length > 5 ? $", … ({missing.Length} in all)" : "")}";
    }

    /// <summary>Parses one data line: a <see cref="Row"/>, or a <see cref="BadRow"/> saying why not.</summary>
    public static object ParseLine(int lineNumber, string line, Header header)
    {
        if (line.Contains(NotUtf8))
        {
            // The readers decode the file as UTF-8, which turns each byte it can't hold into U+FFFD: ids 10\xFF1 and
            // 10\xFE1 would both be loaded as "10\uFFFD1", under a key no request sends (the worker takes UTF-8 ids only).
            return new BadRow(lineNumber, NotUtf8Reason);
        }

        if (string.IsNullOrWhiteSpace(line))
        {
            // Not an empty line (those are skipped): a line of blanks is more likely a row whose text went missing.
            return new BadRow(lineNumber, "only spaces or tabs: delete the line, or give the row's id and fields");
        }

        var cells = new List<string>(header.Fields.Length + 1);
        if (Split(line, cells) is { } error)
        {
            return new BadRow(lineNumber, error);
        }

        if (cells.Count != header.Fields.Length + 1)
        {
            return new BadRow(lineNumber, cells.Count == 1
                ? $"1 column (no comma), the header has {header.Fields.Length + 1}"
                : $"{cells.Count} columns, the header has {header.Fields.Length + 1}");
        }

        var id = cells[0];
        if (id.Length == 0)
        {
            return new BadRow(lineNumber, "empty id");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(id) is var idBytes && idBytes > FeatureKeys.MaxIdBytes)
        {
            // Loaded, it would sit in the store under a key no request can name: the worker refuses longer ids.
            return new BadRow(lineNumber, $"id '{Truncate(id)}' is {idBytes} bytes: requests name entities by ids of 1 to {FeatureKeys.MaxIdBytes} bytes (UTF-8), so none could read this row");
        }

        var values = new double[header.Fields.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.TryParse(cells[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                return new BadRow(lineNumber, cells[i + 1].Length == 0
                    ? $"column '{header.Fields[i]}' is empty"
                    : $"'{Truncate(cells[i + 1])}' in column '{header.Fields[i]}' is not a number");
            }
        }

        return new Row(lineNumber, id, values);
    }

    /// <summary>
    /// Splits one line into <paramref name="cells"/>: unquoted fields are trimmed, quoted ones keep their
    /// spaces and turn <c>""</c> into <c>"</c>. Returns why the line is not valid CSV, or null.
    /// </summary>
    internal static string? Split(string line, List<string> cells)
    {
        var i = 0;
        while (true)
        {
            var start = i;
            while (i < line.Length && line[i] is ' ' or '\t')
            {
                i++;
            }

            if (i < line.Length && line[i] == '"')
            {
                var text = new System.Text.StringBuilder();
                i++;
                while (true)
                {
                    var quote = line.IndexOf('"', i);
                    if (quote < 0)
                    {
                        return $"column {cells.Count + 1} opens a quote that the line doesn't close (a quoted field can't span lines)";
                    }

                    text.Append(line, i, quote - i);
                    i = quote + 1;
                    if (i < line.Length && line[i] == '"')
                    {
                        text.Append('"');
                        i++;
                        continue;
                    }

                    break;
                }

                while (i < line.Length && line[i] is ' ' or '\t')
                {
                    i++;
                }

                if (i < line.Length && line[i] != ',')
                {
                    return $"column {cells.Count + 1} has text after its closing quote";
                }

                cells.Add(text.ToString());
            }
            else
            {
                var comma = line.IndexOf(',', start);
                var end = comma < 0 ? line.Length : comma;
                var cell = line.AsSpan(start, end - start).Trim();
                if (cell.Contains('"'))
                {
                    return $"column {cells.Count + 1} has a quote inside an unquoted field (quote the whole field and double the quote)";
                }

                cells.Add(cell.ToString());
                i = end;
            }

            if (i >= line.Length)
            {
                return null;
            }

            i++; // the comma
        }
    }

    private static string Truncate(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
