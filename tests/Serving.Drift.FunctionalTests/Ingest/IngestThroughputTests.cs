using System.Diagnostics;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Protocol.PredictionLogs;
using Xunit.Abstractions;

namespace Serving.Drift.FunctionalTests.Ingest;

/// <summary>A quick in-process ingest rate, printed for the record; nothing is asserted about time.</summary>
public sealed class IngestThroughputTests(ITestOutputHelper output)
{
    private const int Batches = 40;
    private const int Size = 512;
    private const int Window = 16; // the worker's default MaxUnackedBatches

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task IngestBatchesOf512_PrintsRecordsPerSecond(bool flushToDisk)
    {
        await using var drift = await DriftServer.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:Drift:Archive:FlushToDisk"] = flushToDisk ? "true" : "false",
        });
        await using var client = new IngestClient(drift);
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(12);
        var batches = Enumerable.Range(0, Batches + 1).Select(b => TestSupport.Batches.ReferenceBatch(rows, random, Size, $"t{b}")).ToArray();
        await client.SendAsync(batches[^1]); // warm-up

        var clock = Stopwatch.StartNew();
        var accepted = await SendPipelinedAsync(client, batches[..Batches]);
        clock.Stop();

        Assert.Equal(Batches * Size, accepted);
        var bytes = drift.ArchiveFiles().Sum(f => new FileInfo(f).Length);
        output.WriteLine(
            $"ingest, fsync per batch {(flushToDisk ? "on" : "off")}: {Batches} batches x {Size} tabular records (30 features), one stream, up to {Window} unacked: " +
            $"{accepted / clock.Elapsed.TotalSeconds:N0} records/s ({clock.Elapsed.TotalMilliseconds / Batches:0.0} ms per batch; archive {bytes / 1024.0 / 1024.0:0.0} MiB)");
    }

    // As the worker does: keep up to Window batches in flight, read acks as they come.
    private static async Task<long> SendPipelinedAsync(IngestClient client, PredictionLogBatch[] batches)
    {
        var call = client.Call;
        var reading = Task.Run(async () =>
        {
            long accepted = 0;
            for (var i = 0; i < batches.Length && await call.ResponseStream.MoveNext(CancellationToken.None); i++)
            {
                accepted += call.ResponseStream.Current.Accepted;
                client.Acked.Release();
            }

            return accepted;
        });
        foreach (var batch in batches)
        {
            await client.Acked.WaitAsync();
            batch.Sequence = client.NextSequence();
            await call.RequestStream.WriteAsync(batch);
        }

        return await reading;
    }
}
