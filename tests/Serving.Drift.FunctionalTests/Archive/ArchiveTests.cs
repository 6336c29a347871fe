using System.Text.Json;
using Serving.Drift.FunctionalTests.TestSupport;

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

    private static string RequestId(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("request_id").GetString()!;
    }
}
