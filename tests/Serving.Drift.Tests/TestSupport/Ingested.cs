using Google.Protobuf;
using Serving.Drift.Ingest;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Tests.TestSupport;

/// <summary>Hand-made messages as the drift monitor receives them: serialized, then read by <see cref="IngestBatch"/>.</summary>
internal static class Ingested
{
    public static IngestBatch Batch(PredictionLogBatch batch) => IngestBatch.Parse(batch.ToByteArray());

    public static IngestRecord Record(PredictionRecord record) => Batch(new PredictionLogBatch { Records = { record } })[0];
}
