using Serving.Drift.FunctionalTests.TestSupport;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>Batches as large as a worker may send are archived and acknowledged whole.</summary>
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
}
