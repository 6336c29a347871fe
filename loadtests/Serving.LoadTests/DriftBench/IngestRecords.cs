using Google.Protobuf;
using Serving.LoadTests.Baselines;
using Serving.LoadTests.Bench;
using Serving.Protocol.PredictionLogs;

namespace Serving.LoadTests.DriftBench;

/// <summary>
/// Realistic prediction-log batches, shaped as the worker sends them for one model version: its schema (the
/// reference profile's feature names, the model's numeric outputs and their values per row) and records whose
/// features are rows drawn from the profile's samples, float values widened to double as the worker does.
/// </summary>
internal static class IngestRecords
{
    /// <summary>The schema the worker builds for <paramref name="model"/>'s served version.</summary>
    public static RecordSchema Schema(BenchModel model)
    {
        using var session = OrtSessions.Create(model.OnnxPath, 1, allowSpinning: false);
        var inputs = OrtSessions.Describe(session.InputMetadata);
        var perRow = inputs.Sum(i => PerRow(i.Shape));
        var names = ReferenceProfileSamples.Load(ReferencePath(model)).Names;
        var schema = new RecordSchema { Model = model.Name, Version = model.VersionText };
        schema.FeatureNames.AddRange(names.Count == perRow
            ? names
            : inputs.SelectMany(i => Enumerable.Range(0, (int)PerRow(i.Shape)).Select(k => $"{i.Name}[{k}]")));
        var outputs = OrtSessions.Describe(session.OutputMetadata).Where(o => o.DataType != "BYTES").ToArray();
        foreach (var output in outputs)
        {
            schema.OutputNames.Add(output.Name);
            schema.OutputSizes.Add((int)PerRow(output.Shape));
        }

        // As the worker flags them: values of FP32/FP16/BF16 tensors are archived in float32's shortest form.
        var numeric = inputs.Where(i => i.DataType != "BYTES").ToArray();
        if (numeric.Concat(outputs).Any(t => IsSingle(t.DataType)))
        {
            schema.FeatureSinglePrecision.AddRange(numeric.SelectMany(i => Enumerable.Repeat(IsSingle(i.DataType), (int)PerRow(i.Shape))));
            schema.OutputSinglePrecision.AddRange(outputs.Select(o => IsSingle(o.DataType)));
        }

        return schema;
    }

    private static bool IsSingle(string datatype) => datatype is "FP32" or "FP16" or "BF16";

    /// <summary>
    /// <paramref name="count"/> distinct batches of <paramref name="size"/> records each, serialized without a sequence
    /// number (see <see cref="IngestFrame"/>); seeded, so two runs send the same bytes.
    /// </summary>
    public static byte[][] Batches(BenchModel model, int size, int count)
    {
        var schema = Schema(model);
        var samples = ReferenceProfileSamples.Load(ReferencePath(model));
        var random = new Random(20240601);
        var batches = new byte[count][];
        for (var b = 0; b < count; b++)
        {
            batches[b] = Batch(schema, samples, random, size).ToByteArray();
        }

        return batches;
    }

    /// <summary>One batch of records of <paramref name="schema"/> drawn from <paramref name="samples"/>.</summary>
    public static PredictionLogBatch Batch(RecordSchema schema, ReferenceProfileSamples samples, Random random, int size)
    {
        var batch = new PredictionLogBatch { Schemas = { schema } };
        var outputs = schema.OutputSizes.Sum();
        var now = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        Span<byte> id = stackalloc byte[16];
        for (var i = 0; i < size; i++)
        {
            random.NextBytes(id);
            var record = new PredictionRecord
            {
                Schema = 0,
                RequestId = Convert.ToHexStringLower(id),
                TimestampUnixNanos = now + (i * 1000L),
                LatencyMs = Math.Round(0.5 + (random.NextDouble() * 3), 3),
            };
            samples.DrawRow(random, schema.FeatureNames.Count, record.Features);
            var p = samples.DrawPrediction(random);
            for (var o = 0; o < outputs; o++)
            {
                // A classifier's probabilities: the last value is the profile's prediction, the rest share what is left.
                // FP32 outputs, widened to double as the worker does.
                record.Outputs.Add((double)(float)(o == outputs - 1 ? p : (1 - p) / Math.Max(1, outputs - 1)));
            }

            batch.Records.Add(record);
        }

        return batch;
    }

    private static string ReferencePath(BenchModel model) => Path.Combine(model.SourceDirectory, model.VersionText, "reference.json");

    private static long PerRow(long[] shape) => shape.Skip(1).Aggregate(1L, (a, d) => a * Math.Max(1, d));
}
