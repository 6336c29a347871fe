using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Serving.LoadTests.FeatureBench;

/// <summary>What the bench needs of a model's <c>features:</c> section in <c>model.yaml</c>.</summary>
/// <param name="EntityInput">The input carrying entity ids.</param>
/// <param name="TargetInput">The model input the fields fill, column by column.</param>
/// <param name="KeyPattern">Redis key of an entity's hash, <c>{id}</c> replaced by the id.</param>
/// <param name="Fields">The fields in column order.</param>
/// <param name="CsvPath">The feature CSV next to model.yaml.</param>
/// <param name="NearCacheTtlMs">The near-cache TTL the model declares (0 = off).</param>
/// <param name="Layout">The Redis layout the model ships with (<c>features.layout</c>; the worker's default is <c>hash</c>).</param>
internal sealed record FeatureSpec(string EntityInput, string TargetInput, string KeyPattern, IReadOnlyList<string> Fields, string CsvPath, int NearCacheTtlMs, string Layout = "hash")
{
    /// <summary>The Redis key of <paramref name="id"/>.</summary>
    public string Key(string id) => KeyPattern.Replace("{id}", id, StringComparison.Ordinal);

    /// <summary>Reads <c>model.yaml</c> in <paramref name="modelDirectory"/>; says what is missing when the model declares no usable lookup.</summary>
    public static FeatureSpec Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "model.yaml");
        Section? section;
        try
        {
            section = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).IgnoreUnmatchedProperties().Build()
                .Deserialize<Document?>(File.ReadAllText(path))?.Features;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlException)
        {
            throw new LoadTestException($"cannot read '{path}': {e.Message}", e);
        }

        if (section is not { EntityInput: { Length: > 0 } entity, TargetInput: { Length: > 0 } target, KeyPattern: { Length: > 0 } pattern })
        {
            throw new LoadTestException($"'{path}' declares no feature lookup (features: entity_input, target_input, key_pattern): pick a model that has one, e.g. tabular");
        }

        var fields = section.Fields is { Count: > 0 } listed ? listed : ReadFieldsFile(modelDirectory, section.FieldsFile, path);
        var csv = Path.Combine(modelDirectory, section.Csv ?? "features.csv");
        return File.Exists(csv)
            ? new FeatureSpec(entity, target, pattern, fields, csv, section.NearCacheTtlMs ?? 1000, section.Layout ?? "hash")
            : throw new LoadTestException($"no feature CSV at '{csv}': the bench loads Redis from it and sends the same values inline");
    }

    private static List<string> ReadFieldsFile(string modelDirectory, string? fieldsFile, string yamlPath)
    {
        if (string.IsNullOrEmpty(fieldsFile))
        {
            throw new LoadTestException($"'{yamlPath}' lists no feature fields (features.fields or features.fields_file)");
        }

        var file = Path.Combine(modelDirectory, fieldsFile);
        try
        {
            return File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LoadTestException($"cannot read the fields file '{file}': {e.Message}", e);
        }
    }

    private sealed class Document
    {
        public Section? Features { get; set; }
    }

    private sealed class Section
    {
        public string? EntityInput { get; set; }

        public string? TargetInput { get; set; }

        public string? KeyPattern { get; set; }

        public List<string>? Fields { get; set; }

        public string? FieldsFile { get; set; }

        public string? Csv { get; set; }

        public int? NearCacheTtlMs { get; set; }

        public string? Layout { get; set; }
    }
}
