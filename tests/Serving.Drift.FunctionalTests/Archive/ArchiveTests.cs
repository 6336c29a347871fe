using System.Text.Json;
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
