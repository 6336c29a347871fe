using System.Text.Json;

namespace Serving.Drift.Profiles;

/// <summary>Maps a parsed reference.json onto <see cref="ReferenceProfile"/>, validating as it goes.</summary>
internal static class ReferenceProfileReader
{
    // Shares are float64 sums of row counts / rows, so anything beyond rounding noise is a real error.
    private const double ShareTolerance = 1e-6;

    public static ReferenceProfile Read(JsonElement root, ProfileJsonContext context)
    {
        CheckText(root, "$", context);

        // Model and version first, so every later error names them.
        context.Model = context.NonEmptyString(context.Property(root, "$", "model"), "model");
        context.Version = ReadVersion(context.Property(root, "$", "version"), context);
        int rows = ReadRows(context.Property(root, "$", "rows"), context);
        FeatureProfile[] features = ReadFeatures(context.Property(root, "$", "features"), context);
        FeatureProfile prediction = ReadFeature(context.Property(root, "$", "prediction"), "prediction", context);
        return new ReferenceProfile(context.Model, context.Version, rows, features, prediction);
    }

    // A string or key that is not text (a lone surrogate escape such as "\ud800", or bytes inside quotes that are not
    // UTF-8) passes JsonDocument.Parse but throws InvalidOperationException when read or matched: refused first, saying where.
    private static void CheckText(JsonElement value, string path, ProfileJsonContext context)
    {
        const string NotText = "is not text: it holds a \\ud800-\\udfff escape without its pair, or bytes that are not UTF-8; write it as UTF-8.";
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                int index = 0;
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException e)
                    {
                        throw context.Error(path, $"key {index + 1} {NotText}", e);
                    }

                    CheckText(property.Value, ProfileJsonContext.Join(path, name), context);
                    index++;
                }

                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in value.EnumerateArray())
                {
                    CheckText(item, $"{path}[{i++}]", context);
                }

                break;
            case JsonValueKind.String:
                try
                {
                    _ = value.GetString();
                }
                catch (InvalidOperationException e)
                {
                    throw context.Error(path, NotText, e);
                }

                break;
        }
    }

    // The schema writes versions as strings; a bare integer is accepted as the same version.
    private static string ReadVersion(JsonElement value, ProfileJsonContext context) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) && number >= 0
            ? number.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : context.NonEmptyString(value, "version");

    private static int ReadRows(JsonElement value, ProfileJsonContext context) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int rows) && rows >= 1
            ? rows
            : throw context.Error("rows", $"must be a positive integer, not {value.GetRawText()}.");

    private static FeatureProfile[] ReadFeatures(JsonElement value, ProfileJsonContext context)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw context.Error("features", "must be a non-empty array of feature profiles.");
        }

        var features = new FeatureProfile[value.GetArrayLength()];
        var names = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            features[i] = ReadFeature(item, $"features[{i}]", context);
            if (!names.Add(features[i].Name))
            {
                throw context.Error($"features[{i}].name", $"repeats the feature name '{features[i].Name}'.");
            }

            i++;
        }

        return features;
    }

    private static FeatureProfile ReadFeature(JsonElement value, string path, ProfileJsonContext context)
    {
        string name = context.NonEmptyString(context.Property(value, path, "name"), $"{path}.name");
        string kind = context.NonEmptyString(context.Property(value, path, "kind"), $"{path}.kind");
        return kind switch
        {
            "numeric" => ReadNumeric(value, path, name, context),
            "categorical" => ReadCategorical(value, path, name, context),
            _ => throw context.Error($"{path}.kind", $"must be \"numeric\" or \"categorical\", not \"{kind}\"."),
        };
    }

    private static NumericFeatureProfile ReadNumeric(JsonElement value, string path, string name, ProfileJsonContext context)
    {
        string edgesField = $"{path}.bin_edges";
        string proportionsField = $"{path}.proportions";
        double[] edges = context.FiniteNumbers(context.Property(value, path, "bin_edges"), edgesField, minimumLength: 2);
        CheckAscending(edges, edgesField, context);
        double[] proportions = context.FiniteNumbers(context.Property(value, path, "proportions"), proportionsField, minimumLength: 1);
        if (proportions.Length != edges.Length - 1)
        {
            throw context.Error(proportionsField, $"must hold one share per bin ({edges.Length - 1} for {edges.Length} edges), but holds {proportions.Length}.");
        }

        context.Shares(proportions, proportionsField, ShareTolerance);
        double mean = context.FiniteNumber(context.Property(value, path, "mean"), $"{path}.mean");
        double std = context.FiniteNumber(context.Property(value, path, "std"), $"{path}.std");
        if (std < 0)
        {
            throw context.Error($"{path}.std", $"must not be negative, but is {std:R}.");
        }

        double[] sample = context.FiniteNumbers(context.Property(value, path, "sample"), $"{path}.sample", minimumLength: 1);
        Array.Sort(sample);
        return new NumericFeatureProfile(name, edges, proportions, mean, std, sample);
    }

    // Strictly ascending, except a constant column's single bin [v, v].
    private static void CheckAscending(double[] edges, string field, ProfileJsonContext context)
    {
        if (edges.Length == 2 && edges[0] == edges[1])
        {
            return;
        }

        for (int i = 1; i < edges.Length; i++)
        {
            if (!(edges[i] > edges[i - 1]))
            {
                throw context.Error(field, $"must be strictly ascending, but [{i}] = {edges[i]:R} follows [{i - 1}] = {edges[i - 1]:R}.");
            }
        }
    }

    private static CategoricalFeatureProfile ReadCategorical(JsonElement value, string path, string name, ProfileJsonContext context)
    {
        string field = $"{path}.categories";
        JsonElement categories = context.Property(value, path, "categories");
        if (categories.ValueKind != JsonValueKind.Object)
        {
            throw context.Error(field, "must be an object of label → share.");
        }

        var labels = new List<string>();
        var shares = new List<double>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty category in categories.EnumerateObject())
        {
            if (!seen.Add(category.Name))
            {
                throw context.Error(field, $"repeats the label '{category.Name}'.");
            }

            double share = context.FiniteNumber(category.Value, $"{field}.{category.Name}");
            if (share is < 0 or > 1)
            {
                throw context.Error($"{field}.{category.Name}", $"must be a share in [0, 1], but is {share:R}.");
            }

            labels.Add(category.Name);
            shares.Add(share);
        }

        if (labels.Count == 0)
        {
            throw context.Error(field, "must hold at least one category.");
        }

        double[] shareArray = [.. shares];
        context.Shares(shareArray, field, ShareTolerance);
        return new CategoricalFeatureProfile(name, [.. labels], shareArray);
    }
}
