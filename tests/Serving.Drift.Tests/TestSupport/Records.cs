using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Tests.TestSupport;

/// <summary>Hand-made schemas and records.</summary>
internal static class Records
{
    public static RecordSchema Schema(string model, string version, IEnumerable<string> features, params (string Name, int Size)[] outputs)
    {
        var schema = new RecordSchema { Model = model, Version = version, FeatureNames = { features } };
        foreach (var (name, size) in outputs)
        {
            schema.OutputNames.Add(name);
            schema.OutputSizes.Add(size);
        }

        return schema;
    }

    public static PredictionRecord Record(IEnumerable<double> features, IEnumerable<double> outputs, string id = "r", int schema = 0) => new()
    {
        Schema = schema,
        RequestId = id,
        TimestampUnixNanos = 1_700_000_000_000_000_000,
        Features = { features },
        Outputs = { outputs },
        LatencyMs = 2,
    };
}
