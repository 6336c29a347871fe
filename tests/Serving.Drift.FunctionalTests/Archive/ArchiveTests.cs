using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Serving.Drift.FunctionalTests.TestSupport;
using Serving.Testing;

namespace Serving.Drift.FunctionalTests.Archive;

public sealed class ArchiveTests
{
    private const int MaxFileBytes = 8192;

    [Fact]
    public async Task AcknowledgedRecords_AreInTheFilesWhenTheAckArrives_FilesRotateBySize()
    {
        await using var drift = await DriftServer.StartAsync(new Dictionary<string, string?>
        {
            ["Serving:Drift:Archive:MaxFileBytes"] = MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await using var client = new IngestClient(drift);
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(7);
        var acknowledged = new List<string>();

        for (var b = 0; b < 8; b++)
        {
            var batch = Batches.ReferenceBatch(rows, random, 10, $"b{b}");
            var ack = await client.SendAsync(batch);

            Assert.Equal(10, ack.Accepted);
            Assert.Equal(0, ack.Rejected);
            acknowledged.AddRange(batch.Records.Select(r => r.RequestId));

            // No waiting: an acknowledged record is on disk, in order, exactly once.
            Assert.Equal(acknowledged, drift.ArchivedLines().Select(RequestId));
        }

        var files = drift.ArchiveFiles();
        Assert.True(files.Length > 1, $"expected size rotation, got {files.Length} file(s)");
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, MaxFileBytes));
    }

    /// <summary>
    /// The archive folder replaced by a file after the start: every write fails, as on a full disk. The batch is not
    /// acknowledged, and readiness says why until the folder is back; before, it stayed 200 throughout.
    /// </summary>
    [Fact]
    public async Task ArchiveUnwritable_BatchNotAcknowledged_ReadinessIs503WithTheReason_200AgainOnceItWrites()
    {
        await using var drift = await DriftServer.StartAsync();
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(17);
        await using (var client = new IngestClient(drift))
        {
            Assert.Equal(5, (await client.SendAsync(Batches.ReferenceBatch(rows, random, 5, "before"))).Accepted);
        }

        Assert.Equal(System.Net.HttpStatusCode.OK, (await drift.Http.GetAsync("/v2/health/ready")).StatusCode);

        var folder = drift.ArchiveDirectory;
        using (drift.BlockArchive())
        {
            await using (var client = new IngestClient(drift))
            {
                var refused = await client.SendExpectingFailureAsync(Batches.ReferenceBatch(rows, random, 5, "refused"));
                Assert.Equal(Grpc.Core.StatusCode.Unavailable, refused.StatusCode);
                Assert.Equal(Serving.Protocol.PredictionLogs.IngestTrailers.True, refused.Trailers.GetValue(Serving.Protocol.PredictionLogs.IngestTrailers.NotArchived));
            }

            Assert.Equal(5, drift.Monitor.Archived);
            using var notReady = await drift.Http.GetAsync("/v2/health/ready");
            var body = await notReady.Content.ReadAsStringAsync();
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
            Assert.Contains($"the prediction archive in {folder} can't be written", error, StringComparison.Ordinal);
            Assert.Contains("not acknowledged", error, StringComparison.Ordinal);

            // Still failing: asking again doesn't make it ready.
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await drift.Http.GetAsync("/v2/health/ready")).StatusCode);
        }

        // The folder is back: ready again without a batch having to prove it, and the next batch is archived.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await drift.Http.GetAsync("/v2/health/ready")).StatusCode);
        await using (var client = new IngestClient(drift))
        {
            Assert.Equal(5, (await client.SendAsync(Batches.ReferenceBatch(rows, random, 5, "after"))).Accepted);
        }

        Assert.Equal(10, drift.ArchivedLines().Count);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await drift.Http.GetAsync("/v2/health/ready")).StatusCode);
    }

    /// <summary>
    /// While the archive can't be written every retry of every worker ends a stream the same way: the error line, with
    /// its stack trace, is written for the first and then at most once every 30 s (it was one per stream).
    /// </summary>
    [Fact]
    public async Task ArchiveUnwritable_StreamsRefusedAgainAndAgain_OneErrorLine()
    {
        var logs = new CapturingLoggerProvider();
        await using var drift = await DriftServer.StartAsync(tracing: t => t.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(logs)));
        var rows = ReferenceRows.Load("tabular", "1");
        var random = new Random(23);
        using (drift.BlockArchive())
        {
            for (var i = 0; i < 3; i++)
            {
                await using var client = new IngestClient(drift);
                var refused = await client.SendExpectingFailureAsync(Batches.ReferenceBatch(rows, random, 5, $"refused{i}"));
                Assert.Equal(Grpc.Core.StatusCode.Unavailable, refused.StatusCode);
            }
        }

        var errors = logs.Entries.Where(e => e.Category == "Serving.Drift.Ingest.PredictionLogIngestService" && e.Level == LogLevel.Error).ToArray();
        var line = Assert.Single(errors);
        Assert.Contains("the archive write failed (0 more such failures since the last such line; at most one every 30 s)", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArchivedLine_NamesEveryValue()
    {
        await using var drift = await DriftServer.StartAsync();
        await using var client = new IngestClient(drift);
        var rows = ReferenceRows.Load("tabular", "1");
        var batch = Batches.ReferenceBatch(rows, new Random(3), 1, "one");
        batch.Records[0].Arm = "canary";

        await client.SendAsync(batch);

        using var line = JsonDocument.Parse(Assert.Single(drift.ArchivedLines()));
        var root = line.RootElement;
        Assert.Equal("tabular", root.GetProperty("model").GetString());
        Assert.Equal("1", root.GetProperty("version").GetString());
        Assert.Equal("scored", root.GetProperty("status").GetString());
        Assert.Equal("one-0", root.GetProperty("request_id").GetString());
        Assert.Equal("canary", root.GetProperty("arm").GetString());
        Assert.Equal(1.5, root.GetProperty("latency_ms").GetDouble());
        var features = root.GetProperty("features");
        Assert.Equal(rows.FeatureNames, features.EnumerateObject().Select(p => p.Name));
        Assert.Equal(batch.Records[0].Features[1], features.GetProperty("mean_texture").GetDouble());
        Assert.Equal(batch.Records[0].Outputs, root.GetProperty("outputs").GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()));
        Assert.True(root.GetProperty("timestamp").GetDateTime() > DateTime.UtcNow.AddMinutes(-5));
    }

    /// <summary>
    /// A monitor killed in the middle of a batch's write leaves part of a line at the end of its file; the next run
    /// starts a file of its own and, before, never touched that one: every reader of the archive choked on it for good.
    /// Now the start cuts it back to its last whole line (the part was never acknowledged), and deletes a file the cut
    /// leaves empty.
    /// </summary>
    [Fact]
    public async Task RestartAfterAKillMidWrite_PartialLastLinesCut_EveryLineParses_AcknowledgedLinesKept()
    {
        using var archive = new TempDirectory();
        string[] acknowledged;
        await using (var first = await DriftServer.StartAsync(archiveDirectory: archive.Path))
        {
            await using var client = new IngestClient(first);
            var batch = Batches.ReferenceBatch(ReferenceRows.Load("tabular", "1"), new Random(5), 10, "kept");
            Assert.Equal(10, (await client.SendAsync(batch)).Accepted);
            acknowledged = [.. batch.Records.Select(r => r.RequestId)];
        }

        // What a kill mid-write leaves: the start of a line with no end, after whole lines and alone in a file.
        var written = Assert.Single(Directory.GetFiles(archive.Path, "*.jsonl"));
        var partial = File.ReadAllLines(written)[0][..40];
        await File.AppendAllTextAsync(written, partial);
        var alone = Path.Combine(archive.Path, "predictions-20240101T000000000Z-000001.jsonl");
        await File.WriteAllTextAsync(alone, partial);

        await using var second = await DriftServer.StartAsync(archiveDirectory: archive.Path);

        Assert.Equal([written], second.ArchiveFiles());
        Assert.Equal(acknowledged, second.ArchivedLines().Select(RequestId));
    }

    private static string RequestId(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("request_id").GetString()!;
    }
}
