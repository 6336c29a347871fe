using System.Text.Json;

namespace Serving.Gateway.Endpoints;

/// <summary>
/// Adds up Triton <c>model_stats</c> answers from several workers: per (model, version) the counts and nanoseconds are
/// summed (batch stats by batch size), and <c>last_inference</c> is the latest. The gateway's answer is then the
/// whole fleet's, as one Triton would report it.
/// </summary>
internal sealed class StatisticsMerge
{
    private static readonly string[] DurationNames = ["success", "fail", "queue", "compute_input", "compute_infer", "compute_output", "cache_hit", "cache_miss"];
    private static readonly string[] BatchDurationNames = ["compute_input", "compute_infer", "compute_output"];
    private readonly SortedDictionary<(string Name, long Number, string Version), Stat> _stats = new();

    /// <summary>Adds one worker's answer (<c>{"model_stats": [...]}</c>); entries it can't read are skipped.</summary>
    public void Add(JsonElement answer)
    {
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("model_stats", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || Text(item, "name") is not { } name || Text(item, "version") is not { } version)
            {
                continue;
            }

            var key = (name, long.TryParse(version, out var n) ? n : long.MaxValue, version);
            if (!_stats.TryGetValue(key, out var stat))
            {
                _stats[key] = stat = new Stat();
            }

            stat.LastInference = Math.Max(stat.LastInference, Number(item, "last_inference"));
            stat.InferenceCount += Number(item, "inference_count");
            stat.ExecutionCount += Number(item, "execution_count");
            if (item.TryGetProperty("inference_stats", out var inference))
            {
                AddDurations(inference, DurationNames, stat.Durations);
            }

            if (item.TryGetProperty("batch_stats", out var batches) && batches.ValueKind == JsonValueKind.Array)
            {
                foreach (var batch in batches.EnumerateArray())
                {
                    var size = Number(batch, "batch_size");
                    if (!stat.Batches.TryGetValue(size, out var durations))
                    {
                        stat.Batches[size] = durations = [];
                    }

                    AddDurations(batch, BatchDurationNames, durations);
                }
            }
        }
    }

    /// <summary>Writes the sum as Triton's <c>{"model_stats": [...]}</c>, by model name, then version number.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartArray("model_stats");
        foreach (var ((name, _, version), stat) in _stats)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("version", version);
            w.WriteNumber("last_inference", stat.LastInference);
            w.WriteNumber("inference_count", stat.InferenceCount);
            w.WriteNumber("execution_count", stat.ExecutionCount);
            w.WriteStartObject("inference_stats");
            WriteDurations(w, DurationNames, stat.Durations);
            w.WriteEndObject();
            w.WriteStartArray("batch_stats");
            foreach (var (size, durations) in stat.Batches)
            {
                w.WriteStartObject();
                w.WriteNumber("batch_size", size);
                WriteDurations(w, BatchDurationNames, durations);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("memory_usage");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void AddDurations(JsonElement parent, string[] names, Dictionary<string, (long Count, long Ns)> into)
    {
        foreach (var name in names)
        {
            if (parent.TryGetProperty(name, out var d) && d.ValueKind == JsonValueKind.Object)
            {
                var (count, ns) = into.GetValueOrDefault(name);
                into[name] = (count + Number(d, "count"), ns + Number(d, "ns"));
            }
        }
    }

    private static void WriteDurations(Utf8JsonWriter w, string[] names, Dictionary<string, (long Count, long Ns)> durations)
    {
        foreach (var name in names)
        {
            var (count, ns) = durations.GetValueOrDefault(name);
            w.WriteStartObject(name);
            w.WriteNumber("count", count);
            w.WriteNumber("ns", ns);
            w.WriteEndObject();
        }
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static long Number(JsonElement item, string name) =>
        item.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var v) ? v : 0;

    private sealed class Stat
    {
        public long LastInference { get; set; }

        public long InferenceCount { get; set; }

        public long ExecutionCount { get; set; }

        public Dictionary<string, (long Count, long Ns)> Durations { get; } = [];

        public SortedDictionary<long, Dictionary<string, (long Count, long Ns)>> Batches { get; } = [];
    }
}
