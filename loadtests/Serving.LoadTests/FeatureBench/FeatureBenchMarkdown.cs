using System.Globalization;
using System.Text;
using Serving.LoadTests.Reporting;

namespace Serving.LoadTests.FeatureBench;

/// <summary>Renders a <see cref="FeatureBenchReport"/>: header, what the lookup adds with its targets, the arms, Redis's counters, notes.</summary>
internal static class FeatureBenchMarkdown
{
    /// <summary>The report as Markdown.</summary>
    public static string Render(FeatureBenchReport r)
    {
        var md = new StringBuilder();
        AppendHeader(md, r);
        AppendSummary(md, r);
        AppendArms(md, r);
        AppendRedis(md, r);
        AppendAgreement(md, r);
        AppendNotes(md);
        return md.ToString();
    }

    /// <summary>A signed latency difference: <c>+312 µs</c>, <c>−40 µs</c>, <c>+1.4 ms</c>; <c>n/a</c> when unknown.</summary>
    public static string Added(long? micros) => micros switch
    {
        null => "n/a",
        >= 0 and var m => "+" + Format.Micros(m),
        var m => "−" + Format.Micros(-m.Value),
    };

    /// <summary>Round trips per batch to three decimals, or <c>n/a</c>.</summary>
    public static string PerBatch(double? value) => value is { } v ? Format.Fixed(v, 3) : "n/a";

    /// <summary>The verdict beside a target.</summary>
    public static string Verdict(bool? met) => met switch
    {
        null => "n/a",
        true => "met",
        false => "**not met**",
    };

    private static void AppendHeader(StringBuilder md, FeatureBenchReport r)
    {
        var m = r.Machine;
        var b = r.Batching;
        md.AppendLine("# Feature-store bench: what the Redis lookup adds (gRPC ModelInfer, closed model, one process)");
        md.AppendLine();
        md.AppendLine($"{r.StartedAt:yyyy-MM-dd HH:mm} UTC · {m.Cores} cores ({m.Cpu}) · {m.Runtime} · worker build "
            + $"{(m.WorkerOptimized ? "optimized (Release)" : "**unoptimized (Debug): figures undersell the worker**")} · took {Format.Fixed(r.TotalSeconds, 0)} s" + m.GcText);
        md.AppendLine();
        md.AppendLine($"Model `{r.Model}` version {r.ModelVersion}: {Format.Int(r.Entities)} entities × {r.Fields} fields written to a redis-server {r.RedisVersion} "
            + $"started by the bench on 127.0.0.1, under `{r.KeyPattern}`. Closed model at concurrency {r.Concurrency}, gRPC client `{r.GrpcClient}`, "
            + $"{Seconds(r.DurationSeconds)} s measured after {Seconds(r.WarmupSeconds)} s warmup per arm, {r.Rounds} round(s) of both arms per worker "
            + "(ABBA: inline then lookup, then lookup then inline, …); each worker got "
            + $"{Seconds(r.ServerWarmupSeconds)} s of unrecorded load (half in each form) after it started. Each caller walks its own share "
            + "of the entities, one per call, so a batch holds different entities; the inline arm sends, for the same entity, the values the lookup reads.");
        md.AppendLine();
        md.AppendLine($"Worker model.yaml: `max_batch_size: {b.MaxBatchSize}`, `dynamic_batching: {{ max_queue_delay_us: {b.MaxQueueDelayMicros}, instances: {b.Instances} }}`"
            + "; `features.layout` and `features.near_cache_ttl_ms` as in the table; everything else as the model ships. Worker's Redis call timeout: "
            + (r.StoreTimeoutMs is { } timeout ? $"{Format.Int(timeout)} ms (set by the bench)." : "the worker's default (100 ms)."));
        md.AppendLine();
        if (r.StoppedEarly is { } stopped)
        {
            md.AppendLine($"**Stopped early:** {stopped}.");
            md.AppendLine();
        }
    }

    private static void AppendSummary(StringBuilder md, FeatureBenchReport r)
    {
        md.AppendLine("## What the lookup adds (targets printed, not asserted)");
        md.AppendLine();
        md.AppendLine("| layout | near cache | p50 added | p99 added | target | | p99 added, each round | Redis round trips per batch | target | | throughput lookup / inline |");
        md.AppendLine("|---|---|---:|---:|---|---|---|---:|---|---|---:|");
        foreach (var c in r.Comparisons)
        {
            var rt = c.RoundTrips;
            var perStore = rt is { PerStoreBatch: { } ps } && rt.BatchesNeedingStore != rt.Batches ? $" ({PerBatch(ps)} per batch that called Redis)" : string.Empty;
            md.AppendLine($"| {c.Layout}{(c.Layout == r.ShippedLayout ? " (as shipped)" : string.Empty)} | {CacheLabel(c.NearCache, c.NearCacheTtlMs)} | {Added(c.AddedP50Micros)} | {Added(c.AddedP99Micros)} | ≤ {Format.Micros(FeatureComparison.AddedP99TargetMicros)} "
                + $"| {Verdict(c.AddedP99Micros is null ? null : c.P99TargetMet)} | {ByRound(c.AddedP99ByRound)} | {PerBatch(rt?.PerBatch)}{perStore} | {Format.Fixed(RoundTrips.Target, 0)} "
                + $"| {Verdict(rt?.PerBatch is null ? null : rt.TargetMet)} | {Rps(c.LookupRequestsPerSecond)} / {Rps(c.InlineRequestsPerSecond)} req/s"
                + (c.ThroughputRatio is { } ratio ? $" ({Format.Fixed(ratio, 2)}×)" : string.Empty) + " |");
        }

        md.AppendLine();
        foreach (var a in r.Arms.Where(a => a.Form == FeatureArm.Lookup && a.Worker is { DefaultedRows: > 0 } or { StoreErrors: > 0 } or { BreakerRefusals: > 0 }))
        {
            var w = a.Worker!;
            md.AppendLine($"**Layout {a.Layout}, near cache {a.NearCache}: {Format.Int(w.DefaultedRows)} row(s) got defaults; {Format.Int(w.StoreErrors)} Redis call(s) timed out or failed "
                + $"and the circuit breaker then refused {Format.Int(w.BreakerRefusals)} lookup(s)** (fail_open): those rows did not wait for Redis, so this arm partly "
                + "measures the fail-open path. Rerun on a quieter machine, or raise `--store-timeout` to see the whole tail.");
            md.AppendLine();
        }

        md.AppendLine("Near cache off is the fair measure of what the lookup adds: every entity of every batch goes to Redis. "
            + "With it on, the hot set (every entity here) is served from memory and Redis is called about once per entity per TTL.");
        md.AppendLine();
    }

    private static void AppendArms(StringBuilder md, FeatureBenchReport r)
    {
        md.AppendLine("## Arms");
        md.AppendLine();
        md.AppendLine("| layout | near cache | round | form | requests | failed | req/s | p50 | p90 | p99 | p99.9 | batches | mean batch | near-cache hits | defaulted rows | Redis timeouts + errors | breaker refusals | worker's Redis call (mean) | cores: this process / redis / others |");
        md.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var a in r.Arms)
        {
            if (a.Report is not { } rep)
            {
                md.AppendLine($"| {a.Layout} | {a.NearCache} | {a.Round} | {a.Form} | did not run: {Cell(a.Error)} ||||||||||||||");
                continue;
            }

            var w = a.Worker;
            md.AppendLine($"| {a.Layout} | {a.NearCache} | {a.Round} | {a.Form} | {Format.Int(rep.Succeeded)} | {Format.Int(rep.Failed)} | {Rps(rep.RequestsPerSecond)} "
                + $"| {Format.Micros(rep.Latency.P50Micros)} | {Format.Micros(rep.Latency.P90Micros)} | {Format.Micros(rep.Latency.P99Micros)} | {Format.Micros(rep.Latency.P999Micros)} "
                + $"| {Count(w?.Batches)} | {(w is null ? "?" : Format.Fixed(w.MeanBatchSize, 1))} "
                + $"| {(a.Form == FeatureArm.Inline ? "–" : w?.CacheHitRatio is { } hit ? Format.Fixed(hit * 100, 1) + " %" : "n/a")} "
                + $"| {Count(w?.DefaultedRows)} | {Count(w?.StoreErrors)} | {Count(w?.BreakerRefusals)} | {(w?.MeanStoreCallMicros is { } call ? Format.Micros(call) : "–")} "
                + $"| {Format.Fixed(rep.ProcessCpuCores, 2)} / {(a.RedisCpuCores is { } rc ? Format.Fixed(rc, 2) : "?")} / {Others(rep.OtherCpuCores, a.RedisCpuCores)} |");
        }

        md.AppendLine();
    }

    private static void AppendRedis(StringBuilder md, FeatureBenchReport r)
    {
        md.AppendLine("## Redis round trips, as the server counted them (`INFO commandstats`)");
        md.AppendLine();
        md.AppendLine("| layout | near cache | round | form | round trips (EVALSHA or MGET calls) | entities read | batches executed (worker) | batches that called Redis (worker) | round trips per batch | per batch that called Redis | entities per round trip |");
        md.AppendLine("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var a in r.Arms.Where(a => a.RoundTrips is not null))
        {
            var rt = a.RoundTrips!;
            md.AppendLine($"| {a.Layout} | {a.NearCache} | {a.Round} | {a.Form} | {Format.Int(rt.StoreCalls)}{(rt.StoreCalls == 0 ? string.Empty : $" ({rt.Via})")} | {Format.Int(rt.KeysRead)} "
                + $"| {Format.Int(rt.Batches)} | {Format.Int(rt.BatchesNeedingStore)} | {PerBatch(rt.PerBatch)} | {PerBatch(rt.PerStoreBatch)} "
                + $"| {(rt.KeysPerCall is { } k ? Format.Fixed(k, 1) : "–")} |");
        }

        md.AppendLine();
    }

    private static void AppendAgreement(StringBuilder md, FeatureBenchReport r)
    {
        md.AppendLine("## Both forms compute the same thing");
        md.AppendLine();
        foreach (var c in r.Comparisons.Where(c => c.Agreement is not null))
        {
            var g = c.Agreement!;
            md.AppendLine($"- layout {c.Layout}, near cache {c.NearCache}: the first {g.Entities} entities, by id and inline, one call at a time before the load: "
                + (g.Agrees
                    ? $"same outputs (max |Δ| {g.MaxAbsDifference.ToString("G3", CultureInfo.InvariantCulture)}), no row filled with defaults."
                    : $"**outputs differ** (max |Δ| {g.MaxAbsDifference.ToString("G3", CultureInfo.InvariantCulture)}, {g.DefaultedResponses} answer(s) with defaulted rows): the arms do not compare like for like."));
        }

        md.AppendLine();
    }

    private static void AppendNotes(StringBuilder md)
    {
        md.AppendLine("## How to read it");
        md.AppendLine();
        md.AppendLine("- *p50 / p99 added* = the lookup arm's percentile minus the inline arm's, on the same worker, same entities, run back to back; "
            + "a round is one arm of each form, odd rounds inline first and even rounds lookup first, and the figure is the median over the rounds "
            + "(the mean of the middle two for an even count; each round's p99 difference is listed). "
            + "Target p99 added ≤ 1 ms (Feast documents p99 < 1.5 ms for its Redis online store). On a shared machine the difference of two p99s is noisy: more rounds (`--rounds`) steady it.");
        md.AppendLine("- *Round trips per batch* = EVAL/EVALSHA/FCALL calls (layout `hash`) or MGET calls (layout `packed`) in Redis's `INFO commandstats` (after − before the arm) ÷ "
            + "`serving_batch_executions_total` of the model (after − before, the worker's `/metrics`). Redis also counts the HMGETs a script runs; "
            + "those are not round trips and are shown as entities read (for MGET, the entities are the worker's near-cache misses). "
            + "*Per batch that called Redis* divides by the worker's `serving_feature_store_calls_total` instead. Target 1.");
        md.AppendLine("- *Layout* is `features.layout`: `hash` (a hash per entity, read by a Lua script doing HMGET per key) or `packed` "
            + "(one string of `field=value` lines per entity, read with one MGET). Each layout gets its own worker, with Redis reloaded in that layout; "
            + "*as shipped* marks the layout the model's own `model.yaml` names.");
        md.AppendLine("- *Worker's Redis call* is `serving_feature_lookup_duration_seconds` (one call per batch, as the worker timed it). "
            + "*Others* are cores used by other processes besides redis-server; on a 2-core machine shared with other work, figures move between runs.");
        md.AppendLine("- The counters (round trips, batches, hits, cores) cover the whole arm, its warmup included; the latencies and req/s only its measured window.");
    }

    private static string ByRound(IReadOnlyList<long>? added) =>
        added is { Count: > 0 } ? string.Join(", ", added.Select(a => Added(a))) : "n/a";

    private static string CacheLabel(string nearCache, int ttlMs) =>
        nearCache == "off" ? "off (TTL 0: every entity from Redis)" : $"on (TTL {ttlMs.ToString(CultureInfo.InvariantCulture)} ms)";

    private static string Seconds(double seconds) => Format.Fixed(seconds, seconds % 1 == 0 ? 0 : 1);

    private static string Rps(double? value) => value is { } v ? Format.Int(v) : "n/a";

    private static string Count(long? value) => value is { } v ? Format.Int(v) : "?";

    private static string Others(double? others, double? redis) =>
        others is { } o ? Format.Fixed(Math.Max(0, o - (redis ?? 0)), 2) : "?";

    private static string Cell(string? text) => (text ?? "unknown error").Replace('|', '/').Replace('\n', ' ');
}
