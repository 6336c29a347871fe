using System.Text.Json;
using Serving.Worker.Metrics;

namespace Serving.Worker.Tests.Metrics;

public sealed class InferenceStatisticsTests
{
    /// <summary>
    /// The counters by batch size are made for the sizes that run: a version's statistics take the same memory whatever
    /// its max_batch_size (they held an entry per size, about 140 bytes each: 7 GB at 50,000,000).
    /// </summary>
    [Fact]
    public void LargeMaxBatchSize_TakesNoMemoryPerSize_CountsTheSizesThatRun()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var statistics = new InferenceStatistics(1_000_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"the statistics of a version with max_batch_size 1000000 took {allocated} bytes");

        statistics.Executed(1_000_000, 1, 2, 3);
        statistics.Executed(7, 1, 2, 3);
        statistics.Executed(7, 1, 2, 3);
        statistics.Executed(1_000_001, 1, 2, 3); // over max_batch_size: counted in the totals only

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            statistics.Write(writer, "m", "1");
        }

        using var stats = JsonDocument.Parse(json.ToArray());
        Assert.Equal(4, stats.RootElement.GetProperty("execution_count").GetInt64());
        var sizes = stats.RootElement.GetProperty("batch_stats").EnumerateArray()
            .Select(b => (b.GetProperty("batch_size").GetInt32(), b.GetProperty("compute_infer").GetProperty("count").GetInt64()))
            .ToArray();
        Assert.Equal([(7, 2L), (1_000_000, 1L)], sizes);
    }
}
