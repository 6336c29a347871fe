using System.Globalization;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Ingest;

/// <summary>
/// The contract checks whose failure makes a whole batch (and its stream) invalid, as opposed to
/// a bad record, which is refused alone.
/// </summary>
internal static class BatchValidator
{
    private const int MaxNames = 100_000;

    /// <exception cref="MalformedBatchException">The batch breaks the contract; the message says how.</exception>
    public static void Validate(IngestBatch batch, int maxRecords)
    {
        if (batch.Count > maxRecords)
        {
            throw Malformed(batch, $"holds {batch.Count} records; at most {maxRecords} are accepted");
        }

        for (var s = 0; s < batch.Schemas.Count; s++)
        {
            ValidateSchema(batch, s, batch.Schemas[s]);
        }

        for (var r = 0; r < batch.Count; r++)
        {
            var index = batch[r].Schema;
            if (index < 0 || index >= batch.Schemas.Count)
            {
                throw Malformed(batch, $"record {r} names schema {index}, but the batch has {batch.Schemas.Count} schema(s)");
            }
        }
    }

    private static void ValidateSchema(IngestBatch batch, int index, RecordSchema schema)
    {
        if (!WireNames.IsModel(schema.Model) || !WireNames.IsVersion(schema.Version))
        {
            throw Malformed(batch, $"schema {index} names model '{Printable(schema.Model)}' version '{Printable(schema.Version)}'; a model is [A-Za-z0-9][A-Za-z0-9_.-]* and a version a positive integer");
        }

        if (schema.OutputNames.Count != schema.OutputSizes.Count)
        {
            throw Malformed(batch, $"schema {index} has {schema.OutputNames.Count} output name(s) but {schema.OutputSizes.Count} output size(s)");
        }

        if (schema.OutputSizes.Any(size => size < 0) || schema.OutputSizes.Sum(size => (long)size) > MaxNames)
        {
            throw Malformed(batch, $"schema {index} has a negative or too large output size");
        }

        if (schema.FeatureSinglePrecision.Count is var features and > 0 && features != schema.FeatureNames.Count)
        {
            throw Malformed(batch, $"schema {index} has {schema.FeatureNames.Count} feature name(s) but {features} single-precision flag(s); send one per feature or none");
        }

        if (schema.OutputSinglePrecision.Count is var outputs and > 0 && outputs != schema.OutputNames.Count)
        {
            throw Malformed(batch, $"schema {index} has {schema.OutputNames.Count} output name(s) but {outputs} single-precision flag(s); send one per output or none");
        }

        if (schema.FeatureNames.Count > MaxNames || schema.FeatureNames.Distinct(StringComparer.Ordinal).Count() != schema.FeatureNames.Count)
        {
            throw Malformed(batch, $"schema {index} repeats a feature name or names more than {MaxNames} features");
        }

        // An archived line's outputs are a JSON object by name: a repeated name would write a key twice.
        if (schema.OutputNames.Distinct(StringComparer.Ordinal).Count() != schema.OutputNames.Count)
        {
            throw Malformed(batch, $"schema {index} repeats an output name");
        }
    }

    private static MalformedBatchException Malformed(IngestBatch batch, string problem) =>
        new(string.Create(CultureInfo.InvariantCulture, $"batch {batch.Sequence}: {problem}"));

    // Names from the wire go into an error message: keep them short and printable.
    private static string Printable(string text)
    {
        var clean = new string([.. text.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
        return text.Length > 64 ? clean + "…" : clean;
    }
}
