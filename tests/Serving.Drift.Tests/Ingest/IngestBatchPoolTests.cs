using Google.Protobuf;
using Serving.Drift.Ingest;
using Serving.Protocol.PredictionLogs;

namespace Serving.Drift.Tests.Ingest;

/// <summary>Tests that read the process-wide batch pool, so nothing else takes from it while they run.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IngestBatchPoolCollection
{
    public const string Name = "ingest batch pool";
}

/// <summary>Many streams at once reuse the pooled batches and their arrays: a steady state allocates nothing per record.</summary>
[Collection(IngestBatchPoolCollection.Name)]
public sealed class IngestBatchPoolTests
{
    [Fact]
    public void EightStreamsAtOnce_SteadyState_AllocatesUnderFourBytesPerRecord()
    {
        // Eight streams each hold two batches (one processed, the next read), as the monitor does.
        const int held = 16;
        const int records = 2048;
        var message = Batch(records).ToByteArray();
        var batches = new IngestBatch[held];
        for (var warm = 0; warm < 3; warm++)
        {
            Cycle(message, batches);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        const int cycles = 5;
        for (var c = 0; c < cycles; c++)
        {
            Cycle(message, batches);
        }

        var perRecord = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / (cycles * held * records);

        // What is left is the batch's schema, parsed by Google.Protobuf (30 names: about 1 byte per record here).
        // A pool that can't serve the 16 batches allocates hundreds of bytes per record.
        Assert.True(perRecord < 4, $"{perRecord:F2} bytes allocated per record");
    }

    private static void Cycle(byte[] message, IngestBatch[] batches)
    {
        for (var i = 0; i < batches.Length; i++)
        {
            batches[i] = IngestBatch.Parse(new System.Buffers.ReadOnlySequence<byte>(message));
            Assert.Equal(2048, batches[i].Count);
        }

        foreach (var batch in batches)
        {
            batch.Return();
        }
    }

    private static PredictionLogBatch Batch(int records)
    {
        var batch = new PredictionLogBatch { Sequence = 1 };
        batch.Schemas.Add(new RecordSchema { Model = "tabular", Version = "2", FeatureNames = { Enumerable.Range(0, 30).Select(i => $"f{i}") }, OutputNames = { "probabilities" }, OutputSizes = { 2 } });
        var random = new Random(1);
        for (var r = 0; r < records; r++)
        {
            var record = new PredictionRecord { RequestId = $"req-{r:D8}", TimestampUnixNanos = 1_800_000_000_000_000_000 + r, LatencyMs = 1.25, Outputs = { 0.25, 0.75 } };
            for (var f = 0; f < 30; f++)
            {
                record.Features.Add(random.NextDouble());
            }

            batch.Records.Add(record);
        }

        return batch;
    }
}
