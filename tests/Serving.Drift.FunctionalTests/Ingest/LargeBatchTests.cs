using Google.Protobuf;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Protocol.Inference;
using Serving.Testing;
using Serving.Worker.PredictionLogs;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>Batches as large as a worker may send are archived and acknowledged whole, however wide the records.</summary>
public sealed class LargeBatchTests
{
    private readonly ReferenceRows _rows = ReferenceRows.Load("tabular", "1");

    [Theory]
    [InlineData(2048)]
    [InlineData(8192)]
    public async Task LargeBatch_EveryRecordArchivedAndAcknowledged(int size)
    {
        await using var drift = await DriftServer.StartAsync();
        await using var client = new IngestClient(drift);

        var ack = await client.SendAsync(Batches.ReferenceBatch(_rows, new Random(size), size, "big"));

        Assert.Equal(size, ack.Accepted);
        Assert.Equal(0, ack.Rejected);
        Assert.Equal(size, drift.ArchivedLines().Count());
    }

    [Fact]
    public async Task WideModel_RealWorkerToRealSidecar_EveryRecordArchived_NoBatchRefused()
    {
        // 20,000 FP32 values per row in and out: about 320 KB per record on the wire. 128 records queued at once would
        // make one 40 MB batch (the monitor takes 16 MiB) without the sender's byte cap; lines of ~700 KB grow the archive
        // buffer. (The tests run a Debug build, where the archive formats these 5 million numbers in about 10 s.)
        const int Width = 20_000;
        const int Requests = 16;
        const int Rows = 8;
        await using var drift = await DriftServer.StartAsync();
        using var repository = RepoPaths.CopyModels(RepoPaths.TestModels, "identity_fp32");
        await using var worker = await WorkerServer.StartAsync(repository.Path, new Dictionary<string, string?>
        {
            ["Serving:Worker:PredictionLogs:Endpoint"] = drift.Endpoint,
            ["Serving:Worker:PredictionLogs:FlushInterval"] = "00:00:01",
        });
        var stats = worker.Service<PredictionLogStats>();
        var random = new Random(7);

        for (var r = 0; r < Requests; r++)
        {
            var values = new float[Rows * Width];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)random.NextDouble();
            }

            var request = new ModelInferRequest { ModelName = "identity_fp32", Id = $"wide-{r}" };
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "INPUT0", Datatype = "FP32", Shape = { Rows, Width } };
            request.Inputs.Add(input);
            var bytes = new byte[values.Length * sizeof(float)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            request.RawInputContents.Add(ByteString.CopyFrom(bytes));
            await worker.Grpc.ModelInferAsync(request);
        }

        await Eventually.TrueAsync(() => stats.Acked == Requests * Rows, "every record acknowledged", TimeSpan.FromSeconds(60));
        Assert.Equal(Requests * Rows, stats.Enqueued);
        Assert.Equal(0, stats.Lost + stats.Rejected + stats.Dropped);
        Assert.Equal(0, stats.Reconnects);
        Assert.Equal(Requests * Rows, drift.Monitor.UnknownVersionRecords); // no reference profile: archived, not scored
        Assert.Equal(Requests * Rows, drift.ArchivedLines().Count(l => l.Contains("\"model\":\"identity_fp32\"", StringComparison.Ordinal)));
    }
}
