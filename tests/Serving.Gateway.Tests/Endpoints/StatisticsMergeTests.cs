using System.Buffers;
using System.Text.Json;
using Serving.Gateway.Endpoints;

namespace Serving.Gateway.Tests.Endpoints;

/// <summary>Several workers' Triton statistics added up into one answer.</summary>
public sealed class StatisticsMergeTests
{
    [Fact]
    public void TwoWorkers_SameVersion_CountsAndNanosecondsSummed_LastInferenceLatest_BatchesBySize()
    {
        var merged = Merge(
            Answer(("m", "1", 100, 3, 2, [(1, 1, 10), (2, 1, 20)])),
            Answer(("m", "1", 300, 4, 4, [(2, 2, 40), (4, 2, 80)])));

        var stat = Assert.Single(merged.GetProperty("model_stats").EnumerateArray());
        Assert.Equal(300, stat.GetProperty("last_inference").GetInt64());
        Assert.Equal(7, stat.GetProperty("inference_count").GetInt64());
        Assert.Equal(6, stat.GetProperty("execution_count").GetInt64());
        var success = stat.GetProperty("inference_stats").GetProperty("success");
        Assert.Equal((7, 7000), (success.GetProperty("count").GetInt64(), success.GetProperty("ns").GetInt64()));
        Assert.Equal(0, stat.GetProperty("inference_stats").GetProperty("cache_hit").GetProperty("count").GetInt64());
        var batches = stat.GetProperty("batch_stats").EnumerateArray()
            .Select(b => (b.GetProperty("batch_size").GetInt64(), b.GetProperty("compute_infer").GetProperty("count").GetInt64(), b.GetProperty("compute_infer").GetProperty("ns").GetInt64()))
            .ToArray();
        Assert.Equal([(1L, 1L, 10L), (2L, 3L, 60L), (4L, 2L, 80L)], batches);
    }

    [Fact]
    public void DifferentVersionsAndModels_KeptApart_ByNameThenVersionNumber()
    {
        var merged = Merge(
            Answer(("b", "10", 1, 1, 1, []), ("a", "2", 1, 1, 1, [])),
            Answer(("b", "2", 1, 1, 1, []), ("a", "2", 1, 1, 1, [])));

        var keys = merged.GetProperty("model_stats").EnumerateArray()
            .Select(s => $"{s.GetProperty("name").GetString()}/{s.GetProperty("version").GetString()}/{s.GetProperty("inference_count").GetInt64()}");
        Assert.Equal(["a/2/2", "b/2/1", "b/10/1"], keys);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"model_stats": 3}""")]
    [InlineData("""{"model_stats": [1, {"name": "m"}, {"version": "1"}, {"name": 5, "version": "1"}]}""")]
    public void UnreadableAnswersOrEntries_Skipped(string json)
    {
        using var bad = JsonDocument.Parse(json);
        var merge = new StatisticsMerge();

        merge.Add(bad.RootElement);

        Assert.Empty(Write(merge).GetProperty("model_stats").EnumerateArray());
    }

    private static JsonElement Merge(params string[] answers)
    {
        var merge = new StatisticsMerge();
        foreach (var answer in answers)
        {
            using var doc = JsonDocument.Parse(answer);
            merge.Add(doc.RootElement);
        }

        return Write(merge);
    }

    private static JsonElement Write(StatisticsMerge merge)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            merge.Write(writer);
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    private static string Answer(params (string Name, string Version, long Last, long Inferences, long Executions, (int Size, long Count, long Ns)[] Batches)[] stats) =>
        JsonSerializer.Serialize(new
        {
            model_stats = stats.Select(s => new
            {
                name = s.Name,
                version = s.Version,
                last_inference = s.Last,
                inference_count = s.Inferences,
                execution_count = s.Executions,
                inference_stats = new { success = new { count = s.Inferences, ns = s.Inferences * 1000 } },
                batch_stats = s.Batches.Select(b => new { batch_size = b.Size, compute_infer = new { count = b.Count, ns = b.Ns } }),
            }),
        });
}
