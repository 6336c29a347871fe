using Google.Protobuf;
using Serving.LoadTests.DriftBench;
using Serving.Protocol.PredictionLogs;

namespace Serving.LoadTests.Tests.DriftBench;

public sealed class IngestFrameTests
{
    [Theory]
    [InlineData(1UL)]
    [InlineData(127UL)]
    [InlineData(128UL)]
    [InlineData(300UL)]
    [InlineData(ulong.MaxValue)]
    public void WriteTo_BodyPlusSequence_ParsesAsTheBatchWithThatSequence(ulong sequence)
    {
        var batch = new PredictionLogBatch { Schemas = { new RecordSchema { Model = "m", Version = "1", FeatureNames = { "a" } } } };
        batch.Records.Add(new PredictionRecord { RequestId = "r", Features = { 1.5 }, Outputs = { 0.25 } });
        var frame = new IngestFrame(batch.ToByteArray(), sequence, 1);
        var bytes = new byte[frame.Length];

        frame.WriteTo(bytes);

        var parsed = PredictionLogBatch.Parser.ParseFrom(bytes);
        Assert.Equal(sequence, parsed.Sequence);
        Assert.Equal(batch.Records, parsed.Records);
        Assert.Equal(batch.Schemas, parsed.Schemas);
    }
}
