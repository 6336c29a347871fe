using YamlDotNet.Serialization;

namespace Serving.LoadTests.FeatureBench;

/// <summary>Sets the near-cache TTL (and the Redis layout) in a bench repository's <c>model.yaml</c>, keeping every other key as written.</summary>
internal static class NearCacheSetting
{
    /// <summary>Parses <c>off</c> / <c>on</c>.</summary>
    public static NearCacheMode Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "off" => NearCacheMode.Off,
        "on" => NearCacheMode.On,
        _ => throw LoadTestException.Usage($"--near-cache takes off, on or off,on, not '{text}'"),
    };

    /// <summary>Parses a <c>features.layout</c>: <c>hash</c> / <c>packed</c>.</summary>
    public static string ParseLayout(string text) => text.Trim().ToLowerInvariant() switch
    {
        "hash" => "hash",
        "packed" => "packed",
        _ => throw LoadTestException.Usage($"--layout takes hash, packed or hash,packed, not '{text}'"),
    };

    /// <summary>The name in reports.</summary>
    public static string ToName(this NearCacheMode mode) => mode == NearCacheMode.Off ? "off" : "on";

    /// <summary>The TTL the bench writes for <paramref name="mode"/>: 0, or the model's own (1 s if the model turns it off).</summary>
    public static int TtlMs(NearCacheMode mode, int modelTtlMs) => mode == NearCacheMode.Off ? 0 : modelTtlMs > 0 ? modelTtlMs : 1000;

    /// <summary><paramref name="yaml"/> with <c>features.near_cache_ttl_ms</c> set to <paramref name="ttlMs"/> (and <c>features.layout</c> to <paramref name="layout"/> when given).</summary>
    public static string Rewrite(string yaml, int ttlMs, string? layout = null)
    {
        var config = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(yaml) ?? [];
        if (!config.TryGetValue("features", out var section) || section is not Dictionary<object, object?> features)
        {
            throw new LoadTestException("the model.yaml has no features section to set the near cache in");
        }

        features["near_cache_ttl_ms"] = ttlMs;
        if (layout is not null)
        {
            features["layout"] = layout;
        }

        return new SerializerBuilder().Build().Serialize(config);
    }

    /// <summary>Rewrites the file at <paramref name="path"/>; returns the text written.</summary>
    public static string Apply(string path, int ttlMs, string? layout = null)
    {
        var yaml = Rewrite(File.ReadAllText(path), ttlMs, layout);
        File.WriteAllText(path, yaml);
        return yaml;
    }
}
