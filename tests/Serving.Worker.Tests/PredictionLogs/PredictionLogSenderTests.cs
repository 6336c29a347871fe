using Serving.Protocol.PredictionLogs;
using Serving.Worker.PredictionLogs;
using Serving.Worker.Tests.TestSupport;

namespace Serving.Worker.Tests.PredictionLogs;

/// <summary>The sender against a fake Ingest stream: batching, the unacked window, breaks, re-sends and the shutdown flush.</summary>
public sealed class PredictionLogSenderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task FullBatchesGoAtOnce_TheRemainderIsFlushedAtShutdown()
    {
        var options = Predictions.Options(o => { o.BatchSize = 10; o.FlushInterval = TimeSpan.FromMinutes(1); });
        await using var run = await SenderRun.StartAsync(options);

        run.Shipper.Record(Predictions.Rows(25));
        await WaitAsync(() => run.Transport.DataBatches.Count == 2);

        Assert.Equal([10, 10], run.Transport.DataBatches.Select(b => b.Records.Count));
        await run.StopAsync();
        Assert.Equal([10, 10, 5], run.Transport.DataBatches.Select(b => b.Records.Count));
        Assert.Equal(0, run.Shipper.QueuedBytes); // every record the sender took gave its bytes back
        Assert.Equal(25, run.Stats.Acked);
        Assert.Equal(0, run.Stats.Unsent);
        Assert.True(run.Transport.Streams.Single().Completed);
    }

    [Fact]
    public async Task ManyBatches_SegmentsReusedOnceAcked_EveryRecordArrivesOnceInOrder()
    {
        var options = Predictions.Options(o => { o.BatchSize = 7; o.FlushInterval = TimeSpan.FromMilliseconds(5); });
        await using var run = await SenderRun.StartAsync(options);

        // In rounds, each after the last round's acks, so later rounds fill segments that earlier batches gave back.
        for (var round = 0; round < 30; round++)
        {
            for (var i = 0; i < 10; i++)
            {
                run.Shipper.Record(Predictions.Rows(1, features: 1, start: (round * 10) + i));
            }

            await WaitAsync(() => run.Stats.Acked == (round + 1) * 10);
        }

        Assert.Equal(Enumerable.Range(0, 300).Select(i => (double)i), run.Transport.DataBatches.SelectMany(b => b.Records).Select(r => r.Features[0]));
        Assert.True(run.Transport.DataBatches.Count >= 300 / 7, $"{run.Transport.DataBatches.Count} batches");
    }

    [Fact]
    public async Task ManyThreadsRecordingWhileTheSenderTakes_EveryRecordArrivesExactlyOnce()
    {
        // Small batches and a short flush: the sender takes segments while four threads keep appending to them.
        var options = Predictions.Options(o => { o.BatchSize = 16; o.FlushInterval = TimeSpan.FromMilliseconds(1); });
        await using var run = await SenderRun.StartAsync(options);
        const int threads = 4;
        const int requests = 500;

        // Each request carries 3 rows whose feature names it: thread * 1e6 + request * 10 + row (exact in float32).
        var producers = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                for (var r = 0; r < requests; r++)
                {
                    run.Shipper.Record(Predictions.Rows(3, features: 1, version: Version(t), start: (t * 1_000_000f) + (r * 10)));
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(producers);

        await WaitAsync(() => run.Stats.Acked == threads * requests * 3);
        var batches = run.Transport.DataBatches;
        var values = batches.SelectMany(b => b.Records.Select(r => (b.Schemas[r.Schema].Version, r.Features[0]))).ToList();
        var expected = Enumerable.Range(0, threads).SelectMany(t => Enumerable.Range(0, requests).SelectMany(r => Enumerable.Range(0, 3)
            .Select(row => (Version(t), (double)((t * 1_000_000f) + (r * 10) + row))))).ToList();
        Assert.Equal(expected.Order(), values.Order());
        Assert.All(batches, b => Assert.InRange(b.Records.Count, 1, 16));
        Assert.Equal(0, run.Shipper.QueueLength);
        Assert.Equal(0, run.Shipper.QueuedBytes);
        Assert.Equal(0, run.Stats.Dropped);

        // Each thread's rows arrive in the order it recorded them.
        foreach (var t in Enumerable.Range(0, threads))
        {
            var mine = values.Where(v => v.Item2 >= t * 1_000_000 && v.Item2 < (t + 1) * 1_000_000).Select(v => v.Item2).ToList();
            Assert.Equal(mine.Order(), mine);
        }

        // Two versions, so batches carry two schemas and records point at either.
        static string Version(int thread) => thread % 2 == 0 ? "1" : "2";
    }

    [Fact]
    public async Task WideRecords_BatchesStopBeforeMaxBatchBytes_NoRecordLeftBehind()
    {
        var options = Predictions.Options(o => { o.BatchSize = 1000; o.MaxBatchBytes = 64 * 1024; o.FlushInterval = TimeSpan.FromMilliseconds(20); });
        await using var run = await SenderRun.StartAsync(options);

        // 2,000 values per row: about 16 KB per record on the wire, so four or fewer fit in 64 KiB with the schema.
        run.Shipper.Record(Predictions.Rows(30, features: 2000));

        await WaitAsync(() => run.Stats.Acked == 30);
        Assert.All(run.Transport.DataBatches, b => Assert.InRange(b.CalculateSize(), 1, 64 * 1024));
        Assert.True(run.Transport.DataBatches.Count >= 8, $"{run.Transport.DataBatches.Count} batches");
        Assert.Equal(30, run.Transport.DataBatches.Sum(b => b.Records.Count));
    }

    [Fact]
    public async Task RecordLargerThanMaxBatchBytes_SentAlone()
    {
        var options = Predictions.Options(o => { o.BatchSize = 1000; o.MaxBatchBytes = 64 * 1024; o.FlushInterval = TimeSpan.FromMilliseconds(20); });
        await using var run = await SenderRun.StartAsync(options);

        run.Shipper.Record(Predictions.Rows(3, features: 10_000));

        await WaitAsync(() => run.Stats.Acked == 3);
        Assert.Equal([1, 1, 1], run.Transport.DataBatches.Select(b => b.Records.Count));
    }

    [Fact]
    public async Task PartialBatch_IsSentOnceTheFlushIntervalPasses()
    {
        var options = Predictions.Options(o => { o.BatchSize = 100; o.FlushInterval = TimeSpan.FromMilliseconds(200); });
        await using var run = await SenderRun.StartAsync(options);

        run.Shipper.Record(Predictions.Rows(3));

        await WaitAsync(() => run.Stats.Acked == 3);
        Assert.Equal(3, Assert.Single(run.Transport.DataBatches).Records.Count);
    }

    [Fact]
    public async Task RecordsOfTwoVersions_EachSchemaSentOnce_RecordsPointAtTheirs()
    {
        var options = Predictions.Options(o => { o.BatchSize = 6; o.FlushInterval = TimeSpan.FromMinutes(1); });
        await using var run = await SenderRun.StartAsync(options);

        run.Shipper.Record(Predictions.Rows(2, version: "1"));
        run.Shipper.Record(Predictions.Rows(2, version: "2"));
        run.Shipper.Record(Predictions.Rows(2, version: "1"));

        await WaitAsync(() => run.Transport.DataBatches.Count == 1);
        var batch = run.Transport.DataBatches[0];
        Assert.Equal(["1", "2"], batch.Schemas.Select(s => s.Version));
        Assert.Equal([0, 0, 1, 1, 0, 0], batch.Records.Select(r => r.Schema));
    }

    [Fact]
    public async Task UnackedWindowFull_SenderWaitsForAnAck()
    {
        var options = Predictions.Options(o => { o.BatchSize = 1; o.MaxUnackedBatches = 2; o.FlushInterval = TimeSpan.FromMilliseconds(1); o.ShutdownFlushTimeout = TimeSpan.Zero; });
        await using var run = await SenderRun.StartAsync(options, autoAck: false);

        run.Shipper.Record(Predictions.Rows(5));

        // The hello batch and one data batch fill the window of two; nothing more until an ack.
        var stream = await WaitForStreamAsync(run.Transport);
        await WaitAsync(() => stream.Written.Count == 2 && run.Shipper.QueueLength == 3);
        Assert.Equal(2, stream.Written.Count); // one record written, one held in the next batch, three still queued

        stream.Ack(stream.Written[0].Sequence, 0);
        await WaitAsync(() => stream.Written.Count == 3);
        stream.Ack(stream.Written[1].Sequence, 1);
        stream.Ack(stream.Written[2].Sequence, 1);
        await WaitAsync(() => run.Stats.Acked == 2);
    }

    [Fact]
    public async Task StreamBreaks_UnackedBatchIsResentOnce_ThenCountedLost()
    {
        var (run, first) = await StartWithABatchOnABrokenStreamAsync();
        await using var scope = run;
        var (second, resent) = await ResentAsync(run, 2);
        Assert.Equal(first.Written.Single(b => b.Records.Count > 0).Records, resent.Records);
        Assert.Equal(4, run.Stats.Resent);

        second.Break();
        await WaitForStreamAsync(run.Transport, 3);
        await WaitAsync(() => run.Stats.Lost == 4);
        Assert.Equal(0, run.Stats.Acked);
        Assert.Contains(run.Log.Messages, m => m.StartsWith("Prediction log: 4 record(s) were sent on two streams that both broke", StringComparison.Ordinal));
        Assert.True(run.Stats.Reconnects >= 2);
    }

    /// <summary>
    /// The monitor is stopping (a rolling restart): it takes each new call and ends it without reading. Before, the
    /// sender wrote the batch it had to send again right after the hello, that stream ended, and the batch, written on
    /// two streams, was counted lost: a graceful restart of the monitor lost what was in flight. Now it waits for the
    /// hello's ack first, and the batch reaches the next monitor.
    /// </summary>
    [Fact]
    public async Task StreamEndsBeforeTheMonitorAcksTheOpening_BatchToResendIsKeptForTheNextStream_NotLost()
    {
        var (run, _) = await StartWithABatchOnABrokenStreamAsync();
        await using var scope = run;

        // The stopping monitor: the hello is written, never acknowledged, and the stream ends.
        var stopping = await WaitForStreamAsync(run.Transport, 2);
        await WaitAsync(() => stopping.Written.Count >= 1);
        stopping.Break();

        var (next, resent) = await ResentAsync(run, 3);
        next.Ack(resent.Sequence, resent.Records.Count);

        await WaitAsync(() => run.Stats.Acked == 4);
        Assert.Equal(0, run.Stats.Lost);
        Assert.DoesNotContain(stopping.Written, b => b.Records.Count > 0);
    }

    /// <summary>
    /// The monitor ends the stream (its archive failing, say) while a write is in progress: gRPC fails that write as
    /// Cancelled with no detail, and the warning said "broke (Cancelled: )". It names the monitor's status now.
    /// </summary>
    [Fact]
    public async Task StreamEndsDuringAWrite_TheWarningNamesTheMonitorsStatus_NotTheCancelledWrite()
    {
        var transport = new FakeIngestTransport { WritesHang = true };
        await using var run = await SenderRun.StartAsync(Predictions.Options(o => o.ShutdownFlushTimeout = TimeSpan.Zero), autoAck: false, transport: transport);
        var stream = await WaitForStreamAsync(run.Transport);
        await WaitAsync(() => stream.HangingWrites == 1);

        stream.Break();

        await WaitAsync(() => run.Log.Messages.Any(m => m.Contains(" broke (", StringComparison.Ordinal)));
        Assert.Contains(run.Log.Messages, m => m.EndsWith(" broke (Unavailable: monitor down); reconnecting with backoff", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MonitorDownAtFirst_ReconnectsWithBackoff_ThenDelivers()
    {
        var options = Predictions.Options(o =>
        {
            o.FlushInterval = TimeSpan.FromMilliseconds(1);
            o.ReconnectBackoffMin = TimeSpan.FromMilliseconds(1);
            o.ReconnectBackoffMax = TimeSpan.FromMilliseconds(10);
        });
        var transport = new FakeIngestTransport { FailingOpens = 3 };
        await using var run = await SenderRun.StartAsync(options, transport: transport);

        run.Shipper.Record(Predictions.Rows(7));

        await WaitAsync(() => run.Stats.Acked == 7);
        Assert.True(run.Stats.Reconnects >= 3, $"reconnects {run.Stats.Reconnects}");
        Assert.True(run.Stats.IsConnected);
    }

    /// <summary>
    /// The monitor answers but ends each stream on the first batch of records, without saying whether it archived it
    /// (a monitor before the not-archived trailer; for the monitor's own "not archived", see the next test). It
    /// acknowledges each stream's empty opening batch. Before, that first ack reset the backoff and the failure count, so the
    /// sender reconnected every ReconnectBackoffMin for as long as the disk stayed full, logging "broke" and "is back"
    /// for each stream. Only an ack of records is the monitor back now.
    /// </summary>
    [Fact]
    public async Task MonitorAcksTheOpeningButFailsEveryBatch_SaysSoOnce_NeverBack_UntilRecordsAreAcked()
    {
        var options = BatchesOfFourFastReconnects();
        var transport = new FakeIngestTransport { BreakOnRecords = true };
        await using var run = await SenderRun.StartAsync(options, transport: transport);
        for (var batch = 1; batch <= 3; batch++)
        {
            run.Shipper.Record(Predictions.Rows(4, start: batch * 10));
            await WaitAsync(() => run.Stats.Lost == batch * 4);
        }

        Assert.Equal(0, run.Stats.Acked);
        Assert.True(run.Transport.Streams.Count >= 6, $"{run.Transport.Streams.Count} streams");
        Assert.Single(run.Log.Messages, m => m.Contains(" broke (", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Log.Messages, m => m.Contains(" is back after ", StringComparison.Ordinal));

        // The archive works again: the first records acknowledged are the monitor back, said once.
        transport.BreakOnRecords = false;
        run.Shipper.Record(Predictions.Rows(4, start: 100));
        await WaitAsync(() => run.Stats.Acked == 4);
        Assert.Single(run.Log.Messages, m => m.Contains(" is back after ", StringComparison.Ordinal));
        Assert.True(run.Stats.IsConnected);
    }

    /// <summary>
    /// The monitor can't archive (its disk full) and ends each stream saying the batch is not archived. Before, the batch
    /// was counted lost on its second refusal, though the monitor had said it was not in the archive, so a disk full for
    /// a few seconds lost every record that reached the sender meanwhile. Now it is held and sent again on every stream
    /// until the archive takes it, once; the first ack of records is the monitor back, as for any break.
    /// </summary>
    [Fact]
    public async Task MonitorSaysNotArchived_BatchHeldAcrossManyStreams_DeliveredWhenTheArchiveWorks_NothingLost()
    {
        var options = BatchesOfFourFastReconnects();
        var transport = new FakeIngestTransport { BreakOnRecords = true, SaysNotArchived = true };
        await using var run = await SenderRun.StartAsync(options, transport: transport);
        run.Shipper.Record(Predictions.Rows(4, start: 10));

        await WaitAsync(() => transport.DataBatches.Count >= 5);
        Assert.Equal(0, run.Stats.Lost);
        Assert.Equal(0, run.Stats.Acked);
        Assert.Single(run.Log.Messages, m => m.Contains(" broke (", StringComparison.Ordinal));

        transport.BreakOnRecords = false;
        await WaitAsync(() => run.Stats.Acked == 4);
        Assert.Equal(0, run.Stats.Lost);
        Assert.All(transport.DataBatches, b => Assert.Equal(transport.DataBatches[0].Records, b.Records));
        Assert.Single(run.Log.Messages, m => m.Contains(" is back after ", StringComparison.Ordinal));
    }

    /// <summary>The first refusal is logged with its reason (an initial "last logged" of long.MinValue overflowed the subtraction and none ever was).</summary>
    [Fact]
    public async Task AckWithRejections_CountsThemRejected_LogsTheReason()
    {
        // One full batch of three (a long flush interval keeps the rows from being split across batches).
        var options = Predictions.Options(o => { o.BatchSize = 3; o.FlushInterval = TimeSpan.FromMinutes(1); o.ShutdownFlushTimeout = TimeSpan.Zero; });
        await using var run = await SenderRun.StartAsync(options, autoAck: false);
        var stream = await WaitForStreamAsync(run.Transport);
        run.Shipper.Record(Predictions.Rows(3));
        await WaitAsync(() => stream.Written.Any(b => b.Records.Count > 0));
        Assert.Equal(3, stream.Written[^1].Records.Count);

        stream.Ack(stream.Written[^1].Sequence, 2, new Rejection { Index = 1, Reason = "wrong number of features" });

        await WaitAsync(() => run.Stats.Rejected == 1);
        Assert.Equal(2, run.Stats.Acked);

        // The line follows the count (on the sender's thread): wait for it, then check there is one.
        static bool Refused(string m) => m.Contains("refused 1 record(s) of batch", StringComparison.Ordinal) && m.EndsWith(": wrong number of features", StringComparison.Ordinal);
        await WaitAsync(() => run.Log.Messages.Any(Refused));
        Assert.Single(run.Log.Messages, Refused);
    }

    [Fact]
    public async Task ShutdownWhileMonitorIsDown_QueuedRecordsAreCountedUnsentWithinTheFlushTimeout()
    {
        var options = Predictions.Options(o =>
        {
            o.FlushInterval = TimeSpan.FromMilliseconds(1);
            o.ReconnectBackoffMin = TimeSpan.FromMilliseconds(5);
            o.ReconnectBackoffMax = TimeSpan.FromMilliseconds(20);
            o.ShutdownFlushTimeout = TimeSpan.FromMilliseconds(200);
        });
        var transport = new FakeIngestTransport { FailingOpens = int.MaxValue };
        await using var run = await SenderRun.StartAsync(options, transport: transport);
        run.Shipper.Record(Predictions.Rows(9));
        await WaitAsync(() => run.Transport.Streams.Count >= 2);

        await run.StopAsync();

        Assert.Equal(9, run.Stats.Unsent);
        Assert.Equal(0, run.Stats.Acked);
        Assert.Equal(run.Stats.Enqueued, run.Stats.Acked + run.Stats.Rejected + run.Stats.Lost + run.Stats.Unsent);
    }

    [Fact]
    public async Task StoppedBeforeItRan_QueuedRecordsAreStillCountedUnsent()
    {
        await using var run = await SenderRun.StartAsync(Predictions.Options(o => o.ShutdownFlushTimeout = TimeSpan.Zero), transport: new FakeIngestTransport { FailingOpens = int.MaxValue });
        run.Shipper.Record(Predictions.Rows(4));

        await run.StopAsync();
        run.Shipper.Record(Predictions.Rows(2));

        Assert.Equal(4, run.Stats.Unsent);
        Assert.Equal(2, run.Stats.DroppedStoppedCount);
    }

    [Fact]
    public async Task LoggingOff_SenderDoesNothing()
    {
        await using var run = await SenderRun.StartAsync(Predictions.Options(o => o.Endpoint = ""));

        await run.StopAsync();

        Assert.Empty(run.Transport.Streams);
    }

    // Batches of four rows that go only when full (rows join the queue one at a time), and reconnects at once.
    private static PredictionLogOptions BatchesOfFourFastReconnects() => Predictions.Options(o =>
    {
        o.BatchSize = 4;
        o.FlushInterval = TimeSpan.FromMinutes(1);
        o.ReconnectBackoffMin = TimeSpan.FromMilliseconds(1);
        o.ReconnectBackoffMax = TimeSpan.FromMilliseconds(5);
    });

    private static async Task<FakeIngestStream> WaitForStreamAsync(FakeIngestTransport transport, int count = 1)
    {
        await WaitAsync(() => transport.Streams.Count >= count);
        return transport.Streams[count - 1];
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the sender");
            await Task.Delay(5);
        }
    }

    private sealed class SenderRun : IAsyncDisposable
    {
        private bool _stopped;

        private SenderRun(PredictionLogSender sender, PredictionLogShipper shipper, PredictionLogStats stats, FakeIngestTransport transport, RecordingLogger<PredictionLogSender> log)
        {
            Sender = sender;
            Shipper = shipper;
            Stats = stats;
            Transport = transport;
            Log = log;
        }

        /// <summary>The sender's log messages.</summary>
        public RecordingLogger<PredictionLogSender> Log { get; }

        public PredictionLogSender Sender { get; }

        public PredictionLogShipper Shipper { get; }

        public PredictionLogStats Stats { get; }

        public FakeIngestTransport Transport { get; }

        public static async Task<SenderRun> StartAsync(PredictionLogOptions options, bool autoAck = true, FakeIngestTransport? transport = null)
        {
            transport ??= new FakeIngestTransport();
            transport.AutoAck = autoAck;
            var stats = new PredictionLogStats();
            var shipper = Predictions.Shipper(options, stats);
            var log = new RecordingLogger<PredictionLogSender>();
            var sender = new PredictionLogSender(shipper, transport, stats, Microsoft.Extensions.Options.Options.Create(options), log);
            await sender.StartAsync(CancellationToken.None);
            return new SenderRun(sender, shipper, stats, transport, log);
        }

        public async Task StopAsync()
        {
            if (!_stopped)
            {
                _stopped = true;
                await Sender.StopAsync(CancellationToken.None);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            Sender.Dispose();
        }
    }

    /// <summary>
    /// A sender (acks by hand) whose first stream got one data batch of four rows, unacknowledged, and then broke. Rows
    /// join the queue one at a time: a short flush interval could ship the first row alone and split the four across
    /// batches, so a long one makes the full batch of four the only data batch; reconnects come at once.
    /// </summary>
    private static async Task<(SenderRun Run, FakeIngestStream First)> StartWithABatchOnABrokenStreamAsync()
    {
        var run = await SenderRun.StartAsync(
            Predictions.Options(o =>
            {
                o.BatchSize = 4;
                o.FlushInterval = TimeSpan.FromMinutes(1);
                o.ShutdownFlushTimeout = TimeSpan.Zero;
                o.ReconnectBackoffMin = TimeSpan.FromMilliseconds(1);
                o.ReconnectBackoffMax = TimeSpan.FromMilliseconds(5);
            }),
            autoAck: false);
        var first = await WaitForStreamAsync(run.Transport);
        run.Shipper.Record(Predictions.Rows(4, start: 100));
        await WaitAsync(() => first.Written.Count(b => b.Records.Count > 0) == 1);
        first.Break();
        return (run, first);
    }

    /// <summary>Stream <paramref name="count"/>: its opening acknowledged, then the data batch sent again on it.</summary>
    private static async Task<(FakeIngestStream Stream, PredictionLogBatch Resent)> ResentAsync(SenderRun run, int count)
    {
        var stream = await WaitForStreamAsync(run.Transport, count);
        await WaitAsync(() => stream.Written.Count >= 1);
        stream.Ack(stream.Written[0].Sequence, 0);
        await WaitAsync(() => stream.Written.Any(b => b.Records.Count > 0));
        return (stream, stream.Written.Single(b => b.Records.Count > 0));
    }
}
