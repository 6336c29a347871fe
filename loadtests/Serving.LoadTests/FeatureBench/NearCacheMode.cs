namespace Serving.LoadTests.FeatureBench;

/// <summary>Whether the worker's near cache sits in front of Redis during an arm.</summary>
internal enum NearCacheMode
{
    /// <summary>TTL 0: every entity of every batch is fetched from Redis (what the lookup costs).</summary>
    Off,

    /// <summary>The model's own TTL: hot entities are served from memory.</summary>
    On,
}
