using System.Text.Json;

namespace Serving.Drift.Profiles;

/// <summary>
/// Typed reads of profile JSON that fail with a <see cref="ReferenceProfileException"/> naming the
/// field, so every validation message carries the file, the model/version and the JSON path.
/// </summary>
internal sealed class ProfileJsonContext(string source)
{
    public string Source { get; } = source;

    public string? Model { get; set; }

    public string? Version { get; set; }

    public ReferenceProfileException Error(string field, string problem, Exception? inner = null) =>
        new(Source, Model, Version, field, problem, inner);

    public JsonElement Property(JsonElement obj, string path, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"must be an object, not {Describe(obj)}.");
        }

        return obj.TryGetProperty(name, out JsonElement value)
            ? value
            : throw Error(Join(path, name), "is required but missing.");
    }

    public string NonEmptyString(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw Error(field, $"must be a non-empty string, not {Describe(value)}.");

    public double FiniteNumber(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) && double.IsFinite(number)
            ? number
            : throw Error(field, $"must be a finite number, not {Describe(value)}.");

    public double[] FiniteNumbers(JsonElement value, string field, int minimumLength)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Error(field, $"must be an array of numbers, not {Describe(value)}.");
        }

        int length = value.GetArrayLength();
        if (length < minimumLength)
        {
            throw Error(field, $"must hold at least {minimumLength} value(s), but holds {length}.");
        }

        var numbers = new double[length];
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            numbers[i] = FiniteNumber(item, $"{field}[{i}]");
            i++;
        }

        return numbers;
    }

    /// <summary>Checks shares are in [0, 1] and add up to 1 within <paramref name="tolerance"/>.</summary>
    public void Shares(ReadOnlySpan<double> shares, string field, double tolerance)
    {
        double sum = 0;
        for (int i = 0; i < shares.Length; i++)
        {
            if (shares[i] is < 0 or > 1)
            {
                throw Error($"{field}[{i}]", $"must be a share in [0, 1], but is {shares[i]:R}.");
            }

            sum += shares[i];
        }

        if (Math.Abs(sum - 1) > tolerance)
        {
            throw Error(field, $"must add up to 1, but adds up to {sum:R}.");
        }
    }

    public static string Join(string path, string name) => path == "$" ? name : $"{path}.{name}";

    // The kind, plus a short value for scalars; never the whole element (a sample can be 2000 numbers).
    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String or JsonValueKind.Number => $"{value.ValueKind.ToString().ToLowerInvariant()} {Truncate(value.GetRawText())}",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");
}
