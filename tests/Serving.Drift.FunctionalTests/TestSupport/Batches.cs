using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.FunctionalTests.TestSupport;

/// <summary>Hand-made prediction-log batches for tabular-shaped records.</summary>
internal static class Batches
{
    public static RecordSchema Schema(string model, string version, IEnumerable<string> features) => new()
    {
        Model = model,
        Version = version,
        FeatureNames = { features },
        OutputNames = { "probabilities" },
        OutputSizes = { 2 },
    };

    public static RecordSchema Tabular(string version = "1") => Schema("tabular", version, ReferenceRows.Load("tabular", "1").FeatureNames);

    public static PredictionRecord Record(int schema, string id, IEnumerable<double> features, double probability = 0.5) => new()
    {
        Schema = schema,
        RequestId = id,
        TimestampUnixNanos = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100,
        Features = { features },
        Outputs = { 1 - probability, probability },
        LatencyMs = 1.5,
    };

    /// <summary>A batch of reference rows of tabular v1 with ids <c>{prefix}-{i}</c>.</summary>
    public static PredictionLogBatch ReferenceBatch(ReferenceRows rows, Random random, int count, string prefix, string version = "1")
    {
        var batch = new PredictionLogBatch { Schemas = { Tabular(version) } };
        var drawn = rows.DrawRecords(random, count);
        for (var i = 0; i < count; i++)
        {
            batch.Records.Add(Record(0, $"{prefix}-{i}", drawn[i].Features.Select(v => (double)v), drawn[i].Prediction));
        }

        return batch;
    }
}
