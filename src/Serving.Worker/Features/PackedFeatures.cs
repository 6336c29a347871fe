using System.Globalization;
using System.Text;

namespace Serving.Worker.Features;

/// <summary>
/// The <c>packed</c> layout: an entity's features as one Redis string, one <c>field=value</c> per line, so a batch
/// is one <c>MGET</c> and Redis does no per-field work. Lines are matched by name, so a value written for another
/// field list still reads correctly: fields it lacks are missing (NaN), fields the model doesn't name are ignored.
/// </summary>
internal sealed class PackedFeatures
{
    private readonly byte[][] _names;
    private readonly Dictionary<string, int> _index;

    public PackedFeatures(IReadOnlyList<string> fields)
    {
        _names = [.. fields.Select(Encoding.UTF8.GetBytes)];
        _index = fields.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i, StringComparer.Ordinal);
    }

    /// <summary>The fields, in the model's order.</summary>
    public int Count => _names.Length;

    /// <summary>Why <paramref name="field"/> cannot be a packed field name, or null when it can.</summary>
    public static string? Refusal(string field) =>
        field.Length == 0 ? "is empty"
        : field.AsSpan().IndexOfAny('=', '\n', '\r') >= 0 ? "holds '=' or a line break, which the packed layout uses as separators"
        : null;

    /// <summary>The first of <paramref name="fields"/> that cannot be a packed field name, and why; null when all can.</summary>
    public static (string Name, string Why)? FirstRefused(IEnumerable<string> fields)
    {
        foreach (var field in fields)
        {
            if (Refusal(field) is { } why)
            {
                return (field, why);
            }
        }

        return null;
    }

    /// <summary>The packed value of one entity: <c>field=value</c> lines, values in round-trip format.</summary>
    public static string Format(IReadOnlyList<string> fields, IReadOnlyList<double> values)
    {
        var text = new StringBuilder(fields.Count * 32);
        for (var i = 0; i < fields.Count; i++)
        {
            text.Append(fields[i]).Append('=').Append(values[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// One entity's values in the model's field order: NaN for a field the value lacks or whose text is not a number;
    /// null when the value names none of the fields (read as a missing entity, as a hash with none of them is).
    /// </summary>
    public double[]? Parse(ReadOnlySpan<byte> packed)
    {
        var values = new double[_names.Length];
        Array.Fill(values, double.NaN);
        var any = false;
        var expected = 0;
        while (!packed.IsEmpty)
        {
            var end = packed.IndexOf((byte)'\n');
            var line = end < 0 ? packed : packed[..end];
            packed = end < 0 ? default : packed[(end + 1)..];
            if (line.EndsWith("\r"u8))
            {
                line = line[..^1];
            }

            var equals = line.IndexOf((byte)'=');
            if (equals <= 0)
            {
                continue; // a blank or malformed line names no field
            }

            var name = line[..equals];
            var index = expected < _names.Length && name.SequenceEqual(_names[expected]) ? expected // written in the model's order: no lookup
                : _index.TryGetValue(Encoding.UTF8.GetString(name), out var found) ? found : -1;
            if (index < 0)
            {
                continue;
            }

            values[index] = FeatureValueText.Parse(line[(equals + 1)..]);
            any = true;
            expected = index + 1;
        }

        return any ? values : null;
    }
}
